package com.amazonaws.services.lambda.runtime.logging;

/**
 * The level of a {@link com.amazonaws.services.lambda.runtime.LambdaLogger} record, lowest first
 * (aws-lambda-java-core 1.2.3 and later: same names, same order).
 *
 * <p>{@link #UNDEFINED} is the level of a record logged without one ({@code log(String)},
 * {@code log(byte[])}): the function's minimum level ({@code AWS_LAMBDA_LOG_LEVEL}) never drops it.
 */
public enum LogLevel {
    UNDEFINED,
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    FATAL;

    /**
     * The level named {@code logLevel}, in any letter case.
     *
     * @throws IllegalArgumentException when it names none
     */
    public static LogLevel fromString(String logLevel) {
        try {
            return LogLevel.valueOf(logLevel.toUpperCase(java.util.Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid log level: '" + logLevel + "' expected one of [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]");
        }
    }
}
