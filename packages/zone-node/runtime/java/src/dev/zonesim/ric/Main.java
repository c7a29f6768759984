package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.IOError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * zonesim's runtime client for Lambda's Java runtimes ({@code java17}, {@code java21}): the
 * program the JVM starts in an execution environment (docs/runtimes-java.md).
 *
 * <ol>
 *   <li>INIT: loads the handler named by {@code _HANDLER} from the class path (the code directory,
 *       its {@code lib/*.jar}, {@code /opt/java/lib/*.jar}); a failure is posted to
 *       {@code /runtime/init/error} with {@code Lambda-Runtime-Function-Error-Type:
 *       Runtime.BadFunctionCode} and the process exits with status 1.</li>
 *   <li>Then, forever: {@code GET /runtime/invocation/next}, run the handler, post its result to
 *       {@code /invocation/{id}/response} or what it threw to {@code /invocation/{id}/error}. After a
 *       {@code VirtualMachineError} (OutOfMemoryError, StackOverflowError) the error is posted and
 *       the process exits with status 1: the JVM cannot be trusted after one.</li>
 * </ol>
 *
 * Only the Java standard library is used, at the Java 17 level, so one build runs on JDK 17 and 21.
 */
public final class Main {

    /** The system property the X-Ray SDK reads the trace header from (as Lambda's runtime sets it). */
    static final String TRACE_PROPERTY = "com.amazonaws.xray.traceHeader";
    /** The error type header of an INIT failure (Lambda's Java runtime: a bad function code). */
    static final String INIT_ERROR_TYPE = "Runtime.BadFunctionCode";
    /** The error type header of an exception thrown by the handler. */
    static final String INVOKE_ERROR_TYPE = "Runtime.UserException";
    /** Posted when even the error body cannot be built (the heap is exhausted). */
    private static final byte[] LAST_RESORT_BODY = "{\"errorMessage\":\"Java heap space\",\"errorType\":\"java.lang.OutOfMemoryError\",\"stackTrace\":[]}"
        .getBytes(StandardCharsets.UTF_8);

    private Main() {
    }

    public static void main(String[] args) {
        // LoggingConfig, read first as the real client does; a value it cannot read stops it at once.
        LogLevel minimum;
        LogFormat format;
        try {
            minimum = LogLevel.fromString(env("AWS_LAMBDA_LOG_LEVEL", "UNDEFINED"));
            format = LogFormat.fromString(env("AWS_LAMBDA_LOG_FORMAT", "TEXT"));
        } catch (IllegalArgumentException e) {
            System.err.println("zonesim java runtime: " + e.getMessage());
            System.exit(1);
            return;
        }
        LogOutput out = LogOutput.install(format, minimum);
        String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
        if (api == null || api.isEmpty()) {
            out.diagnostics.println("zonesim java runtime: AWS_LAMBDA_RUNTIME_API is not set");
            System.exit(1);
            return;
        }
        RuntimeApi client = new RuntimeApi(api);
        String handlerName = System.getenv("_HANDLER");
        if ((handlerName == null || handlerName.isEmpty()) && args.length > 0) handlerName = args[0];
        if (handlerName == null) handlerName = "";

        Handler handler;
        try {
            handler = HandlerLoader.load(handlerName, ClassLoader.getSystemClassLoader());
        } catch (InitFault f) {
            out.flush();
            out.report(Errors.report(f.errorMessage, f.errorType, f.throwable));
            try {
                int status = client.postInitError(Errors.initBody(f.errorMessage, f.errorType), INIT_ERROR_TYPE);
                if (status != 202) out.diagnostics.println("zonesim java runtime: POST /init/error answered " + status + ": " + client.lastRefusal);
            } catch (IOException e) {
                out.diagnostics.println("zonesim java runtime: cannot post the INIT error: " + e);
            }
            System.exit(1);
            return;
        }

        InvocationContext.Function fn = new InvocationContext.Function(
            env("AWS_LAMBDA_FUNCTION_NAME", ""),
            env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            env("AWS_LAMBDA_LOG_GROUP_NAME", ""),
            env("AWS_LAMBDA_LOG_STREAM_NAME", ""),
            memoryMb(out),
            out.logger);
        loop(client, handler, fn, out);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    private static int memoryMb(LogOutput out) {
        String v = System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        try {
            return v == null ? 128 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            out.diagnostics.println("zonesim java runtime: AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number: " + v);
            return 128;
        }
    }

    private static void loop(RuntimeApi client, Handler handler, InvocationContext.Function fn, LogOutput out) {
        while (true) {
            Invocation inv;
            try {
                inv = client.next();
            } catch (IOException e) {
                // The environment is being shut down, or the API broke its protocol: nothing left to serve.
                out.flush();
                out.diagnostics.println("zonesim java runtime: cannot get the next event: " + e);
                System.exit(1);
                return;
            }
            if (inv.traceId != null) System.setProperty(TRACE_PROPERTY, inv.traceId);
            else System.clearProperty(TRACE_PROPERTY);

            InvocationContext context = new InvocationContext(fn, inv, identity(inv, out), clientContext(inv, out));
            // JSON records of this thread carry this request id from now on (until the next one).
            out.logger.bind(inv.requestId);
            byte[] result = null;
            Throwable failure = null;
            try {
                result = handler.invoke(inv.payload, context);
            } catch (Throwable t) {
                failure = t;
            }
            // A handler that interrupted this thread must not break the next HTTP call.
            Thread.interrupted();
            // What the handler printed belongs to this invocation: out before the answer.
            out.flush();
            if (failure == null) {
                answer(client, inv, result, out);
            } else {
                fail(client, inv, failure, out);
            }
        }
    }

    private static CognitoIdentity identity(Invocation inv, LogOutput out) {
        if (inv.cognitoIdentity == null || inv.cognitoIdentity.isEmpty()) return null;
        try {
            return InvocationContext.identity(inv.cognitoIdentity);
        } catch (RuntimeException e) {
            out.diagnostics.println("zonesim java runtime: ignoring Lambda-Runtime-Cognito-Identity that is not a JSON object: " + e.getMessage());
            return null;
        }
    }

    private static ClientContext clientContext(Invocation inv, LogOutput out) {
        if (inv.clientContext == null || inv.clientContext.isEmpty()) return null;
        try {
            return InvocationContext.clientContext(inv.clientContext);
        } catch (RuntimeException e) {
            out.diagnostics.println("zonesim java runtime: ignoring Lambda-Runtime-Client-Context that is not a JSON object: " + e.getMessage());
            return null;
        }
    }

    private static void answer(RuntimeApi client, Invocation inv, byte[] result, LogOutput out) {
        try {
            int status = client.postResponse(inv.requestId, result);
            // 413 (too large) and 403 (the invocation ended) are the API's to report; the environment carries on.
            if (status != 202) out.diagnostics.println("zonesim java runtime: POST /invocation/" + inv.requestId + "/response answered " + status + ": " + client.lastRefusal);
        } catch (IOException e) {
            out.diagnostics.println("zonesim java runtime: cannot post the response of " + inv.requestId + ": " + e);
        }
    }

    private static void fail(RuntimeApi client, Invocation inv, Throwable failure, LogOutput out) {
        boolean fatal = failure instanceof VirtualMachineError || failure instanceof IOError;
        byte[] body;
        try {
            Errors.filter(failure);
            // The report goes out before the answer, so that it lands in this invocation's log.
            out.report(Errors.report(Errors.messageOf(failure), failure.getClass().getName(), failure));
            body = Errors.invocationBody(failure);
        } catch (Throwable again) {
            body = fatal ? LAST_RESORT_BODY : Errors.initBody(failure.getClass().getName(), failure.getClass().getName());
        }
        try {
            int status = client.postError(inv.requestId, body, INVOKE_ERROR_TYPE);
            if (status != 202) out.diagnostics.println("zonesim java runtime: POST /invocation/" + inv.requestId + "/error answered " + status + ": " + client.lastRefusal);
        } catch (IOException e) {
            out.diagnostics.println("zonesim java runtime: cannot post the error of " + inv.requestId + ": " + e);
        }
        if (fatal) {
            out.flush();
            out.diagnostics.flush();
            // halt, not exit: shutdown hooks are user code, and the JVM is not trustworthy any more.
            Runtime.getRuntime().halt(1);
        }
    }
}
