package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * A logger whose messages become records of the function's log.
 *
 * <p>In Lambda's text log format nothing is added to a message logged without a level: no
 * timestamp, request id or level; one logged with a level starts with {@code [LEVEL] }. With
 * {@code LoggingConfig} {@code LogFormat: JSON} each String message becomes one JSON record
 * ({@code timestamp}, {@code message}, {@code level}, {@code AWSRequestId}); byte messages are
 * written as they are in both formats. Records below the function's application log level are
 * dropped; those logged without a level never are.
 */
public interface LambdaLogger {

    /** Logs one message, without a level ({@link LogLevel#UNDEFINED}). */
    void log(String message);

    /** Logs one message given as UTF-8 bytes, without a level. */
    void log(byte[] message);

    /**
     * Logs one message at {@code logLevel}. An implementation that knows no levels logs the message
     * as {@link #log(String)} does (aws-lambda-java-core 1.2.3 and later).
     */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    /**
     * Logs one message given as UTF-8 bytes at {@code logLevel}: filtered by level, never formatted.
     * An implementation that knows no levels logs it as {@link #log(byte[])} does.
     */
    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
