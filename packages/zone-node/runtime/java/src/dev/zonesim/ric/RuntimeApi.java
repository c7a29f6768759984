package dev.zonesim.ric;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A client of the Lambda Runtime API (2018-06-01) at {@code AWS_LAMBDA_RUNTIME_API}.
 *
 * <p>HttpURLConnection rather than java.net.http.HttpClient: it loads fewer classes and starts no
 * selector thread, which matters for a cold start. Connections are kept alive by the JDK's
 * keep-alive cache: each response body is read to its end and closed, so the next call reuses the
 * same socket. No proxy is consulted (the API is on loopback, and a function's proxy settings in
 * JAVA_TOOL_OPTIONS must not capture it).
 */
final class RuntimeApi {

    /** The runtime API answered something other than what the protocol allows. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    private static final String ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type";
    private final String base;
    /** The body of the last answer that was not 202, for the log. */
    String lastRefusal = "";

    RuntimeApi(String hostPort) {
        this.base = "http://" + hostPort + "/2018-06-01/runtime";
    }

    private HttpURLConnection open(String path) throws IOException {
        URL url = URI.create(base + path).toURL();
        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        c.setUseCaches(false);
        // `next` long-polls for as long as the environment stays idle: no read timeout.
        c.setReadTimeout(0);
        c.setConnectTimeout(10_000);
        return c;
    }

    /** Waits for the next event. */
    Invocation next() throws IOException {
        HttpURLConnection c = open("/invocation/next");
        int status = c.getResponseCode();
        if (status != 200) {
            String body = drain(c, status);
            throw new ProtocolException("GET /invocation/next answered " + status + ": " + body);
        }
        byte[] payload;
        try (InputStream in = c.getInputStream()) {
            payload = in.readAllBytes();
        }
        String id = c.getHeaderField("Lambda-Runtime-Aws-Request-Id");
        if (id == null || id.isEmpty()) throw new ProtocolException("GET /invocation/next answered without Lambda-Runtime-Aws-Request-Id");
        long deadline = 0;
        String d = c.getHeaderField("Lambda-Runtime-Deadline-Ms");
        if (d != null) {
            try {
                deadline = Long.parseLong(d.trim());
            } catch (NumberFormatException e) {
                throw new ProtocolException("Lambda-Runtime-Deadline-Ms is not a number: " + d);
            }
        }
        return new Invocation(
            id,
            deadline,
            c.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"),
            c.getHeaderField("Lambda-Runtime-Trace-Id"),
            c.getHeaderField("Lambda-Runtime-Client-Context"),
            c.getHeaderField("Lambda-Runtime-Cognito-Identity"),
            payload);
    }

    /** {@code POST /invocation/{id}/response}; returns the status (202 unless the API refused it). */
    int postResponse(String requestId, byte[] body) throws IOException {
        return post("/invocation/" + encode(requestId) + "/response", body, null);
    }

    /** {@code POST /invocation/{id}/error}. */
    int postError(String requestId, byte[] body, String errorType) throws IOException {
        return post("/invocation/" + encode(requestId) + "/error", body, errorType);
    }

    /** {@code POST /init/error}. */
    int postInitError(byte[] body, String errorType) throws IOException {
        return post("/init/error", body, errorType);
    }

    private int post(String path, byte[] body, String errorType) throws IOException {
        HttpURLConnection c = open(path);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) c.setRequestProperty(ERROR_TYPE_HEADER, errorType);
        c.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        String answer = drain(c, status);
        if (status != 202) lastRefusal = answer;
        return status;
    }

    /** Reads and closes the answer, so that the connection goes back to the keep-alive cache. */
    private static String drain(HttpURLConnection c, int status) throws IOException {
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (in == null) return "";
        try (InputStream s = in) {
            byte[] b = s.readAllBytes();
            return new String(b, 0, Math.min(b.length, 2048), StandardCharsets.UTF_8);
        }
    }

    /** Percent-encodes a request id for the path (ids are UUIDs in practice; anything else stays intact). */
    static String encode(String id) {
        StringBuilder sb = null;
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '_' || b == '.' || b == '~';
            if (plain && sb == null) continue;
            if (sb == null) {
                sb = new StringBuilder(id.length() + 16);
                sb.append(new String(bytes, 0, i, StandardCharsets.UTF_8));
            }
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16))).append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb == null ? id : sb.toString();
    }
}
