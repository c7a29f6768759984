package dev.zonesim.ric;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The error bodies posted to the Runtime API and the reports written to the log, in the shapes of
 * Lambda's Java runtime:
 *
 * <ul>
 *   <li>an invocation error: {@code {"errorMessage", "errorType", "stackTrace": ["Class.method(File.java:N)", ...],
 *       "cause": {...}}}, the message being the exception's message or, when it has none, its class
 *       name; {@code cause} only when there is one;</li>
 *   <li>an INIT error: {@code {"errorMessage", "errorType"}} without a stack trace (Lambda leaves it
 *       out of INIT errors; the trace is in the log), or {@code {"errorMessage"}} alone for faults
 *       that are not exceptions (the header's {@code Runtime.BadFunctionCode} then names them).</li>
 * </ul>
 *
 * Stack traces lose the runtime client's own frames: each trace is cut at the first frame of
 * {@code dev.zonesim.ric}, so a handler's trace ends with the handler (and, for handlers called
 * by reflection, the JDK's reflection frames, as on Lambda).
 */
final class Errors {

    static final String RIC_PACKAGE_PREFIX = "dev.zonesim.ric.";
    /** How deep a chain of causes is followed in the body. */
    private static final int MAX_CAUSES = 16;

    private Errors() {
    }

    /** Removes the runtime client's frames from {@code t}, its causes and suppressed exceptions. */
    static void filter(Throwable t) {
        filter(t, new IdentityHashMap<Throwable, Boolean>());
    }

    private static void filter(Throwable t, Map<Throwable, Boolean> seen) {
        if (t == null || seen.put(t, Boolean.TRUE) != null) return;
        StackTraceElement[] trace = t.getStackTrace();
        for (int i = 0; i < trace.length; i++) {
            if (trace[i].getClassName().startsWith(RIC_PACKAGE_PREFIX)) {
                StackTraceElement[] cut = new StackTraceElement[i];
                System.arraycopy(trace, 0, cut, 0, i);
                t.setStackTrace(cut);
                break;
            }
        }
        filter(t.getCause(), seen);
        for (Throwable s : t.getSuppressed()) filter(s, seen);
    }

    static String messageOf(Throwable t) {
        String m = t.getLocalizedMessage();
        return m == null ? t.getClass().getName() : m;
    }

    /** The body of {@code POST /invocation/{id}/error} for a thrown {@code t} (already filtered). */
    static byte[] invocationBody(Throwable t) {
        StringBuilder sb = new StringBuilder(512);
        appendThrowable(sb, t, new IdentityHashMap<Throwable, Boolean>(), 0);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendThrowable(StringBuilder sb, Throwable t, Map<Throwable, Boolean> seen, int depth) {
        seen.put(t, Boolean.TRUE);
        sb.append("{\"errorMessage\":");
        Json.quote(sb, messageOf(t));
        sb.append(",\"errorType\":");
        Json.quote(sb, t.getClass().getName());
        sb.append(",\"stackTrace\":[");
        StackTraceElement[] trace = t.getStackTrace();
        for (int i = 0; i < trace.length; i++) {
            if (i > 0) sb.append(',');
            Json.quote(sb, trace[i].toString());
        }
        sb.append(']');
        Throwable cause = t.getCause();
        if (cause != null && cause != t && !seen.containsKey(cause) && depth < MAX_CAUSES) {
            sb.append(",\"cause\":");
            appendThrowable(sb, cause, seen, depth + 1);
        }
        sb.append('}');
    }

    /** The body of {@code POST /init/error}: message, and the type when the fault is an exception. */
    static byte[] initBody(String message, String type) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"errorMessage\":");
        Json.quote(sb, message);
        if (type != null) {
            sb.append(",\"errorType\":");
            Json.quote(sb, type);
        }
        sb.append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The log report of a fault, as Lambda's Java runtime prints it: {@code "<message>: <type>"},
     * then the stack trace, or only the message for a fault that is not an exception.
     */
    static String report(String message, String type, Throwable t) {
        if (type == null && t == null) return message + "\n";
        StringWriter sw = new StringWriter();
        sw.append(message).append(": ").append(type == null ? "" : type).append('\n');
        if (t != null) {
            PrintWriter pw = new PrintWriter(sw);
            t.printStackTrace(pw);
            pw.flush();
        }
        return sw.toString();
    }
}
