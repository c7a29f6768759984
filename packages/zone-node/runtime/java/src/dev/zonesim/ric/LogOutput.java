package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
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
 * runtime reports them apart from the function's output; with {@code LogFormat: JSON} they are
 * ERROR records of the logger instead, as the real client logs them ({@link #report}).
 * {@code System.out} and {@code System.err} stay plain text in either format: on Lambda only the
 * {@link LambdaLogger} (and Log4j2's Lambda appender) write JSON records.
 */
final class LogOutput {

    private final OutputStream stdout;
    /** The process's stderr, UTF-8, for the runtime's own reports. */
    final PrintStream diagnostics;
    final ApplicationLogger logger;

    private LogOutput(LogFormat format, LogLevel minimum) {
        // Every write reaches the shared buffer at once; a newline (or flush()) sends it on.
        this.stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        this.diagnostics = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        this.logger = new ApplicationLogger(this, format, minimum);
    }

    /**
     * Redirects System.out and System.err, and makes {@link LambdaRuntime#getLogger()} this logger,
     * which writes in {@code format} and drops records below {@code minimum}.
     */
    static LogOutput install(LogFormat format, LogLevel minimum) {
        LogOutput out = new LogOutput(format, minimum);
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

    /**
     * A report of the runtime's own (an error and its trace: {@link Errors#report}): on stderr in
     * the text format; in JSON one ERROR record of the logger, so filtered by level like any other
     * (the real client logs it with {@code LogLevel.ERROR} when the format is JSON).
     */
    void report(String text) {
        if (logger.format == LogFormat.JSON) {
            logger.log(text, LogLevel.ERROR);
        } else {
            diagnostics.print(text);
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
}
