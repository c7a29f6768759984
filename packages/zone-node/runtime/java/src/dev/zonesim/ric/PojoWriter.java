package dev.zonesim.ric;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Calendar;
import java.util.Date;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a handler's result as JSON, after the rules of Lambda's Java serializer for the types
 * zonesim supports (docs/runtimes-java.md): POJOs through public getters ({@code getX},
 * {@code isX} for {@code boolean}) and public fields, null properties left out (Lambda's
 * {@code NON_NULL}); map entries keep their nulls; records through their components.
 */
final class PojoWriter {

    private PojoWriter() {
    }

    /** Appends {@code v} as JSON. */
    static void write(StringBuilder sb, Object v, int depth) {
        if (depth > Json.MAX_DEPTH) throw new IllegalStateException("The result nests deeper than " + Json.MAX_DEPTH + " levels (a cycle?)");
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            Json.quote(sb, (String) v);
        } else if (v instanceof Boolean) {
            sb.append(((Boolean) v).booleanValue() ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            // WRITE_NAN_AS_STRINGS: JSON has no NaN or Infinity.
            if (Double.isNaN(d) || Double.isInfinite(d)) Json.quote(sb, v.toString());
            else sb.append(v.toString());
        } else if (v instanceof Number) {
            sb.append(v.toString());
        } else if (v instanceof CharSequence || v instanceof Character) {
            Json.quote(sb, v.toString());
        } else if (v instanceof Enum) {
            Json.quote(sb, ((Enum<?>) v).name());
        } else if (v instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) sb.append(',');
                first = false;
                Object k = e.getKey();
                Json.quote(sb, k instanceof Enum ? ((Enum<?>) k).name() : String.valueOf(k));
                sb.append(':');
                write(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof Iterable) {
            sb.append('[');
            Iterator<?> it = ((Iterable<?>) v).iterator();
            for (int i = 0; it.hasNext(); i++) {
                if (i > 0) sb.append(',');
                write(sb, it.next(), depth + 1);
            }
            sb.append(']');
        } else if (v instanceof byte[]) {
            sb.append('"').append(Base64.getEncoder().encodeToString((byte[]) v)).append('"');
        } else if (v instanceof char[]) {
            Json.quote(sb, new String((char[]) v));
        } else if (v.getClass().isArray()) {
            sb.append('[');
            int n = Array.getLength(v);
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(',');
                write(sb, Array.get(v, i), depth + 1);
            }
            sb.append(']');
        } else if (v instanceof Optional) {
            write(sb, ((Optional<?>) v).orElse(null), depth + 1);
        } else if (v instanceof Date) {
            sb.append(((Date) v).getTime());
        } else if (v instanceof Calendar) {
            sb.append(((Calendar) v).getTimeInMillis());
        } else if (v.getClass().isRecord()) {
            writeProperties(sb, v, recordWriter(v.getClass()), depth);
        } else if (isPlatformClass(v.getClass())) {
            // UUID, URI, java.time values...: their text (Jackson's JavaTimeModule is not reproduced).
            Json.quote(sb, v.toString());
        } else {
            writeProperties(sb, v, BEAN_WRITERS.get(v.getClass()), depth);
        }
    }

    private static boolean isPlatformClass(Class<?> c) {
        String n = c.getName();
        return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.");
    }

    /** A readable property: a getter or a public field. */
    private static final class Getter {
        final String name;
        final Method method;
        final Field field;

        Getter(String name, Method method, Field field) {
            this.name = name;
            this.method = method;
            this.field = field;
        }

        Object get(Object target) {
            try {
                return method != null ? method.invoke(target) : field.get(target);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw new IllegalStateException("Getter for property '" + name + "' of " + target.getClass().getName() + " threw " + cause, cause);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Cannot read property '" + name + "' of " + target.getClass().getName() + ": " + e, e);
            }
        }
    }

    private static void writeProperties(StringBuilder sb, Object v, Getter[] getters, int depth) {
        sb.append('{');
        boolean first = true;
        for (Getter g : getters) {
            Object value = g.get(v);
            // NON_NULL, as Lambda's serializer is configured.
            if (value == null) continue;
            if (!first) sb.append(',');
            first = false;
            Json.quote(sb, g.name);
            sb.append(':');
            write(sb, value, depth + 1);
        }
        sb.append('}');
    }

    private static Getter[] recordWriter(Class<?> c) {
        RecordComponent[] components = c.getRecordComponents();
        List<Getter> out = new ArrayList<Getter>();
        for (RecordComponent rc : components) {
            Method m = rc.getAccessor();
            if (m.trySetAccessible()) out.add(new Getter(rc.getName(), m, null));
        }
        return out.toArray(new Getter[0]);
    }

    private static final ClassValue<Getter[]> BEAN_WRITERS = new ClassValue<Getter[]>() {
        @Override
        protected Getter[] computeValue(Class<?> c) {
            return beanWriter(c);
        }
    };

    /**
     * Public getters and public fields; a getter wins over a field of the same name. Order: the
     * declaration order of the fields that back the properties (superclass first), then the
     * remaining getters by name, close to Jackson's default order.
     */
    private static Getter[] beanWriter(Class<?> c) {
        Map<String, Getter> byName = new HashMap<String, Getter>();
        for (Method m : c.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || m.isBridge() || m.getDeclaringClass() == Object.class) continue;
            Class<?> rt = m.getReturnType();
            if (rt == void.class) continue;
            String name = m.getName();
            String prop;
            if (name.startsWith("get") && name.length() > 3) prop = PojoReader.decapitalize(name.substring(3));
            else if (name.startsWith("is") && name.length() > 2 && rt == boolean.class) prop = PojoReader.decapitalize(name.substring(2));
            else continue;
            if (byName.containsKey(prop) && byName.get(prop).method.getName().startsWith("get")) continue;
            if (!m.trySetAccessible()) continue;
            byName.put(prop, new Getter(prop, m, null));
        }
        for (Field f : c.getFields()) {
            int mod = f.getModifiers();
            if (Modifier.isStatic(mod) || Modifier.isTransient(mod) || byName.containsKey(f.getName())) continue;
            if (!f.trySetAccessible()) continue;
            byName.put(f.getName(), new Getter(f.getName(), null, f));
        }
        List<Class<?>> chain = new ArrayList<Class<?>>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) chain.add(0, k);
        List<Getter> ordered = new ArrayList<Getter>(byName.size());
        for (Class<?> k : chain) {
            for (Field f : k.getDeclaredFields()) {
                Getter g = byName.remove(f.getName());
                if (g != null) ordered.add(g);
            }
        }
        List<String> rest = new ArrayList<String>(byName.keySet());
        java.util.Collections.sort(rest);
        for (String name : rest) ordered.add(byName.get(name));
        return ordered.toArray(new Getter[0]);
    }
}
