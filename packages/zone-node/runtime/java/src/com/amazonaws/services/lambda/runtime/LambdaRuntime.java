package com.amazonaws.services.lambda.runtime;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Access to the runtime's logger outside a handler call (static initializers, helpers). */
public final class LambdaRuntime {

    /**
     * Until the runtime client installs its own (it sets this field when it starts), messages go to
     * {@code System.out}, one line each, which is also what a class used outside Lambda gets.
     */
    private static volatile LambdaLogger logger = new LambdaLogger() {
        @Override
        public void log(String message) {
            PrintStream out = System.out;
            String text = String.valueOf(message);
            out.print(text.endsWith("\n") ? text : text + "\n");
            out.flush();
        }

        @Override
        public void log(byte[] message) {
            log(message == null ? "null" : new String(message, StandardCharsets.UTF_8));
        }
    };

    private LambdaRuntime() {
    }

    /** The logger of this execution environment. */
    public static LambdaLogger getLogger() {
        return logger;
    }
}
