package com.amazonaws.services.lambda.runtime.logging;

/**
 * The function's log format ({@code LoggingConfig.LogFormat}, which the runtime reads from
 * {@code AWS_LAMBDA_LOG_FORMAT}), as aws-lambda-java-core 1.2.3 and later name it.
 */
public enum LogFormat {
    JSON,
    TEXT;

    /**
     * The format named {@code logFormat}, in any letter case.
     *
     * @throws IllegalArgumentException when it names none
     */
    public static LogFormat fromString(String logFormat) {
        try {
            return LogFormat.valueOf(logFormat.toUpperCase(java.util.Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid log format: '" + logFormat + "' expected one of [JSON, TEXT]");
        }
    }
}
