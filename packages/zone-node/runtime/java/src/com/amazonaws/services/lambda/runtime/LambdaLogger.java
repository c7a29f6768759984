package com.amazonaws.services.lambda.runtime;

/**
 * A logger whose messages become lines of the function's log. Nothing is added to a message: no
 * timestamp, request id or level (Lambda's text log format).
 */
public interface LambdaLogger {

    /** Logs one message. */
    void log(String message);

    /** Logs one message given as UTF-8 bytes. */
    void log(byte[] message);
}
