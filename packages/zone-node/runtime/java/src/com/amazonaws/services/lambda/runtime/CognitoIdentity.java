package com.amazonaws.services.lambda.runtime;

/** The Amazon Cognito identity that made the call, when the AWS Mobile SDK made it. */
public interface CognitoIdentity {

    /** The Cognito identity id. */
    String getIdentityId();

    /** The Cognito identity pool id. */
    String getIdentityPoolId();
}
