package dev.zonesim.ric;

/**
 * Why the handler cannot be loaded: reported with {@code POST /init/error}, after which the runtime
 * exits (the environment is discarded). The messages are those of Lambda's Java runtime.
 */
final class InitFault extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@code errorMessage} of the body. */
    final String errorMessage;
    /** {@code errorType}, or null for a fault that is not an exception (bad handler string, no such method). */
    final String errorType;
    /** The exception behind it, for the log. */
    final Throwable throwable;

    InitFault(String errorMessage, String errorType, Throwable throwable) {
        super(errorMessage, null, false, false);
        this.errorMessage = errorMessage;
        this.errorType = errorType;
        this.throwable = throwable;
    }

    /** A fault that is only a message. */
    static InitFault message(String message) {
        return new InitFault(message, null, null);
    }

    /** A fault caused by {@code t}: its message (or class name) and class. */
    static InitFault of(Throwable t) {
        Errors.filter(t);
        return new InitFault(Errors.messageOf(t), t.getClass().getName(), t);
    }
}
