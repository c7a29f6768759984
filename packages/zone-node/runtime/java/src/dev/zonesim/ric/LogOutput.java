package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;

/**
 * Where a function's output goes. {@code System.out}, {@code System.err} and the
 * {@link LambdaLogger} all write to the process's stdout through one buffer, so their lines reach
 * the zone node in the order they were written (the zone node reads stdout and stderr as separate
 * pipes: docs/runtimes.md). Writes block when the zone node reads slower than the function writes,
 * as they do on Lambda: the function slows down, it does not grow.
 *
 * <p>The runtime's own reports (an error's stack trace) go to the process's stderr, as Lambda's
 * runtime reports them apart from the function's output.
 */
final class LogOutput {

    private final OutputStream stdout;
    /** The process's stderr, UTF-8, for the runtime's own reports. */
    final PrintStream diagnostics;
    final LambdaLogger logger;

    private LogOutput() {
        // Every write reaches the shared buffer at once; a newline (or flush()) sends it on.
        this.stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        this.diagnostics = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        this.logger = new Logger(this);
    }

    /** Redirects System.out and System.err, and makes {@link LambdaRuntime#getLogger()} this logger. */
    static LogOutput install() {
        LogOutput out = new LogOutput();
        System.setOut(new PrintStream(out.stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(out.stdout, true, StandardCharsets.UTF_8));
        try {
            Field f = LambdaRuntime.class.getDeclaredField("logger");
            f.setAccessible(true);
            f.set(null, out.logger);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // LambdaRuntime's default logger writes to System.out, which is this output anyway.
            out.diagnostics.println("zonesim java runtime: LambdaRuntime.getLogger() keeps its default logger: " + e);
        }
        return out;
    }

    /** Sends what System.out/err hold (a print without a newline) before an invocation is answered. */
    void flush() {
        System.out.flush();
        System.err.flush();
        try {
            stdout.flush();
        } catch (IOException e) {
            diagnostics.println("zonesim java runtime: cannot flush stdout: " + e);
        }
    }

    /** One record: the message and, unless it ends with one, a newline (a message is one log line or more, never part of one). */
    void record(byte[] message) {
        byte[] line = message;
        if (message.length == 0 || message[message.length - 1] != '\n') {
            line = java.util.Arrays.copyOf(message, message.length + 1);
            line[message.length] = '\n';
        }
        try {
            // One write: a record is never split by another thread's output.
            stdout.write(line);
            stdout.flush();
        } catch (IOException e) {
            diagnostics.println("zonesim java runtime: cannot write to stdout: " + e);
        }
    }

    private static final class Logger implements LambdaLogger {
        private final LogOutput out;

        Logger(LogOutput out) {
            this.out = out;
        }

        @Override
        public void log(String message) {
            // Pending System.out text first, so that the order of the calls is the order of the lines.
            System.out.flush();
            out.record(String.valueOf(message).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void log(byte[] message) {
            System.out.flush();
            out.record(message == null ? "null".getBytes(StandardCharsets.UTF_8) : message);
        }
    }
}
