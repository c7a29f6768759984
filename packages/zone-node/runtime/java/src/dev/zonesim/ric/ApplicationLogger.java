package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;

/**
 * The function's {@link LambdaLogger} ({@code context.getLogger()}, {@code LambdaRuntime.getLogger()}),
 * with the levels and formats of Lambda's Java runtime client (aws-lambda-java-runtime-interface-client:
 * {@code AbstractLambdaLogger}, {@code LogFiltering}, {@code TextLogFormatter}, {@code JsonLogFormatter}):
 *
 * <ul>
 *   <li>A record below the minimum level ({@code AWS_LAMBDA_LOG_LEVEL}, in either format) is dropped;
 *       one without a level ({@code log(String)}, {@code log(byte[])}: {@link LogLevel#UNDEFINED})
 *       never is. Without the variable nothing is dropped.</li>
 *   <li>TEXT: a String message as it is, or {@code [LEVEL] message} when it has a level.</li>
 *   <li>JSON: a String message as one line {@code {"timestamp","message","level","AWSRequestId"}}
 *       in that order; {@code level} is {@code UNDEFINED} for {@code log(String)}; a null message
 *       and a missing request id are left out (the real client's Gson drops null fields).</li>
 *   <li>A {@code byte[]} message is written as it is in both formats (the real client formats only
 *       Strings): filtered by level, never turned into JSON.</li>
 * </ul>
 *
 * Each record goes to {@link LogOutput#record} (a newline added when it has none).
 */
final class ApplicationLogger implements LambdaLogger {

    private static final byte[] NULL_BYTES = "null".getBytes(StandardCharsets.UTF_8);
    private static final long DAY_MS = 86_400_000L;

    private final LogOutput out;
    final LogFormat format;
    private final LogLevel minimum;
    /**
     * The request id of the invocation this thread last ran, as the real client keeps the context
     * per thread: a thread the handler starts has none (its records carry no {@code AWSRequestId}),
     * and neither has INIT.
     */
    private final ThreadLocal<String> requestId = new ThreadLocal<String>();

    ApplicationLogger(LogOutput out, LogFormat format, LogLevel minimum) {
        this.out = out;
        this.format = format;
        this.minimum = minimum;
    }

    /** The invocation the calling thread runs from now on. */
    void bind(String awsRequestId) {
        if (awsRequestId == null) requestId.remove();
        else requestId.set(awsRequestId);
    }

    /** Whether a record at {@code level} is kept (a null level throws, as in the real client). */
    boolean enabled(LogLevel level) {
        return level == LogLevel.UNDEFINED || level.ordinal() >= minimum.ordinal();
    }

    @Override
    public void log(String message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(byte[] message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(String message, LogLevel level) {
        if (!enabled(level)) return;
        String record = format == LogFormat.JSON
            ? jsonRecord(message, level, System.currentTimeMillis(), requestId.get())
            : textRecord(message, level);
        write(record.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void log(byte[] message, LogLevel level) {
        if (!enabled(level)) return;
        write(message == null ? NULL_BYTES : message);
    }

    private void write(byte[] record) {
        // Pending System.out text first, so that the order of the calls is the order of the lines.
        System.out.flush();
        out.record(record);
    }

    static String textRecord(String message, LogLevel level) {
        if (level == LogLevel.UNDEFINED) return String.valueOf(message);
        return "[" + level.name() + "] " + message;
    }

    static String jsonRecord(String message, LogLevel level, long nowMs, String awsRequestId) {
        StringBuilder sb = new StringBuilder(message == null ? 128 : message.length() + 128);
        sb.append("{\"timestamp\":\"");
        appendTimestamp(sb, nowMs);
        sb.append('"');
        if (message != null) {
            sb.append(",\"message\":");
            Json.quote(sb, message);
        }
        sb.append(",\"level\":\"").append(level.name()).append('"');
        if (awsRequestId != null) {
            sb.append(",\"AWSRequestId\":");
            Json.quote(sb, awsRequestId);
        }
        return sb.append('}').toString();
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss.SSSZ} in UTC (the real client's pattern). Computed here rather
     * than with java.time, whose formatter classes would cost the first JSON record several
     * milliseconds of class loading. Days to a civil date: H. Hinnant's {@code civil_from_days}.
     */
    static void appendTimestamp(StringBuilder sb, long epochMs) {
        long days = Math.floorDiv(epochMs, DAY_MS);
        long msOfDay = Math.floorMod(epochMs, DAY_MS);
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        pad(sb, year, 4).append('-');
        pad(sb, month, 2).append('-');
        pad(sb, day, 2).append('T');
        pad(sb, msOfDay / 3_600_000, 2).append(':');
        pad(sb, msOfDay / 60_000 % 60, 2).append(':');
        pad(sb, msOfDay / 1_000 % 60, 2).append('.');
        pad(sb, msOfDay % 1_000, 3).append('Z');
    }

    private static StringBuilder pad(StringBuilder sb, long value, int width) {
        String digits = Long.toString(value);
        for (int i = digits.length(); i < width; i++) sb.append('0');
        return sb.append(digits);
    }
}
