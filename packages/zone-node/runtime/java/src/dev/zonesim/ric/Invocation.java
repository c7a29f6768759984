package dev.zonesim.ric;

/** One event from {@code GET /runtime/invocation/next}, with its headers. */
final class Invocation {
    final String requestId;
    /** Epoch ms of the deadline ({@code Lambda-Runtime-Deadline-Ms}); 0 when absent. */
    final long deadlineMs;
    final String invokedFunctionArn;
    /** {@code Lambda-Runtime-Trace-Id}, or null. */
    final String traceId;
    /** JSON text of the client context, or null. */
    final String clientContext;
    /** JSON text of the Cognito identity, or null. */
    final String cognitoIdentity;
    final byte[] payload;

    Invocation(String requestId, long deadlineMs, String invokedFunctionArn, String traceId, String clientContext, String cognitoIdentity, byte[] payload) {
        this.requestId = requestId;
        this.deadlineMs = deadlineMs;
        this.invokedFunctionArn = invokedFunctionArn;
        this.traceId = traceId;
        this.clientContext = clientContext;
        this.cognitoIdentity = cognitoIdentity;
        this.payload = payload;
    }
}
