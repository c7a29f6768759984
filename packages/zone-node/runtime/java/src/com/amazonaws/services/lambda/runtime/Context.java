package com.amazonaws.services.lambda.runtime;

/**
 * What a handler learns about the invocation it runs and the function it belongs to.
 *
 * <p>zonesim's own rendering of the interface Lambda Java handlers compile against
 * (aws-lambda-java-core): same package, names and signatures, so a class compiled against
 * AWS's jar links against this one.
 */
public interface Context {

    /** The request id of this invocation (the caller sees it as {@code x-amzn-RequestId}). */
    String getAwsRequestId();

    /** The log group the function logs to: {@code /aws/lambda/<function name>}. */
    String getLogGroupName();

    /** The log stream of this execution environment. */
    String getLogStreamName();

    /** The function's name. */
    String getFunctionName();

    /** The version that runs: {@code $LATEST} or a number. */
    String getFunctionVersion();

    /** The ARN the caller invoked (with its qualifier, if the caller gave one). */
    String getInvokedFunctionArn();

    /** The Amazon Cognito identity of the caller, or null. */
    CognitoIdentity getIdentity();

    /** The client context the caller passed, or null. */
    ClientContext getClientContext();

    /** Milliseconds left before the invocation times out. */
    int getRemainingTimeInMillis();

    /** The function's memory size in MB. */
    int getMemoryLimitInMB();

    /** A logger whose lines go to the function's log. */
    LambdaLogger getLogger();

    /**
     * The X-Ray trace header of this invocation, or null. Present in newer releases of
     * aws-lambda-java-core; a default keeps older implementations of this interface compiling.
     */
    default String getXrayTraceId() {
        return null;
    }

    /** The tenant id of a multi-tenant function, or null (zonesim has no tenants). */
    default String getTenantId() {
        return null;
    }
}
