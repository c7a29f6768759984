package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * A loaded handler: runs one event and gives the bytes to answer with. What the user's code throws
 * comes out unchanged (the caller turns it into the error body); failures of the mapping between
 * JSON and the declared types come out as Lambda's Java runtime words them:
 * {@code RuntimeException("An error occurred during JSON parsing")} and
 * {@code RuntimeException("An error occurred during JSON serialization of response")}.
 */
abstract class Handler {

    private static final byte[] JSON_NULL = "null".getBytes(StandardCharsets.UTF_8);

    /** Runs one event. */
    abstract byte[] invoke(byte[] payload, Context context) throws Throwable;

    /** The event bound to {@code type}; an empty payload is null. */
    static Object readInput(byte[] payload, JType type) {
        try {
            String text = new String(payload, StandardCharsets.UTF_8);
            Object tree = text.isBlank() ? null : Json.parse(text);
            return PojoReader.read(tree, type);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            throw new RuntimeException("An error occurred during JSON parsing", t);
        }
    }

    /** The result as JSON; {@code null} for a void handler. */
    static byte[] writeOutput(Object value, boolean isVoid) {
        if (isVoid) return JSON_NULL;
        try {
            StringBuilder sb = new StringBuilder(128);
            PojoWriter.write(sb, value, 0);
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            throw new RuntimeException("An error occurred during JSON serialization of response", t);
        }
    }

    /** Unwraps a reflective call's exception to what the handler threw. */
    static Object call(Method m, Object instance, Object[] args) throws Throwable {
        try {
            return m.invoke(instance, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
    }

    /** A {@link RequestStreamHandler}. */
    static final class Stream extends Handler {
        private final RequestStreamHandler handler;

        Stream(RequestStreamHandler handler) {
            this.handler = handler;
        }

        @Override
        byte[] invoke(byte[] payload, Context context) throws Throwable {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
            handler.handleRequest(new ByteArrayInputStream(payload), out, context);
            return out.toByteArray();
        }
    }

    /** A {@link RequestHandler}: the input type is its {@code handleRequest}'s declared parameter type. */
    static final class Pojo extends Handler {
        @SuppressWarnings("rawtypes")
        private final RequestHandler handler;
        private final JType inputType;
        private final boolean isVoid;

        @SuppressWarnings("rawtypes")
        Pojo(RequestHandler handler, JType inputType, boolean isVoid) {
            this.handler = handler;
            this.inputType = inputType;
            this.isVoid = isVoid;
        }

        @Override
        @SuppressWarnings("unchecked")
        byte[] invoke(byte[] payload, Context context) throws Throwable {
            Object input = readInput(payload, inputType);
            Object output = handler.handleRequest(input, context);
            return writeOutput(output, isVoid);
        }
    }

    /**
     * A named method ({@code pkg.Class::method}) taking one of the signatures Lambda's Java runtime
     * accepts: {@code ()}, {@code (T)}, {@code (T, Context)}, {@code (Context)}, or stream forms
     * with {@code InputStream}, {@code OutputStream} and {@code Context} in that order.
     */
    static final class MethodHandler extends Handler {
        private final Method method;
        /** Null for a static method. */
        private final Object instance;
        private final boolean stream;
        private final boolean wantsInput;
        private final boolean wantsOutput;
        private final boolean wantsContext;
        /** The POJO input type, or null when the method takes no event. */
        private final JType inputType;
        private final boolean isVoid;

        MethodHandler(Method method, Object instance, boolean stream, boolean wantsInput, boolean wantsOutput, boolean wantsContext, JType inputType, boolean isVoid) {
            this.method = method;
            this.instance = instance;
            this.stream = stream;
            this.wantsInput = wantsInput;
            this.wantsOutput = wantsOutput;
            this.wantsContext = wantsContext;
            this.inputType = inputType;
            this.isVoid = isVoid;
        }

        @Override
        byte[] invoke(byte[] payload, Context context) throws Throwable {
            Object[] args = new Object[(wantsInput ? 1 : 0) + (wantsOutput ? 1 : 0) + (wantsContext ? 1 : 0)];
            int i = 0;
            if (stream) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
                if (wantsInput) args[i++] = new ByteArrayInputStream(payload);
                if (wantsOutput) args[i++] = out;
                if (wantsContext) args[i] = context;
                call(method, instance, args);
                return out.toByteArray();
            }
            if (wantsInput) args[i++] = readInput(payload, inputType);
            if (wantsContext) args[i] = context;
            Object output = call(method, instance, args);
            return writeOutput(output, isVoid);
        }
    }
}
