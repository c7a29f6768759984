package dev.zonesim.ric;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.TypeVariable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Binds parsed JSON ({@link Json}) to a handler's declared input type, after the rules of Lambda's
 * Java serializer (Jackson, configured by AWS) for the types zonesim supports
 * (docs/runtimes-java.md): POJOs through setters (any visibility) and public fields, with a
 * no-argument constructor (any visibility); records through their canonical constructor; unknown
 * properties ignored; a name matches exactly or, failing that, ignoring case, which covers the
 * capitalised keys of AWS event sources ({@code Records}, {@code Sns}). Generic declarations are
 * resolved by {@link JType}.
 */
final class PojoReader {

    private PojoReader() {
    }

    /** The event does not fit the declared type; {@link #path} says where. */
    static final class BindException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String problem;
        private String path = "";

        BindException(String problem) {
            super(problem);
            this.problem = problem;
        }

        BindException(String problem, Throwable cause) {
            super(problem, cause);
            this.problem = problem;
        }

        /** Prepends one step of the path while the stack unwinds (cheaper than carrying a path down). */
        BindException at(String step) {
            path = step + path;
            return this;
        }

        @Override
        public String getMessage() {
            return path.isEmpty() ? problem : problem + " (at $" + path + ")";
        }
    }


    /** Binds the parsed JSON value {@code node} to {@code t}. */
    static Object read(Object node, JType t) {
        Class<?> c = t.raw;
        if (node == null) {
            if (c == Optional.class) return Optional.empty();
            return c.isPrimitive() ? primitiveDefault(c) : null;
        }
        if (c == Object.class) return node;
        if (c == String.class || c == CharSequence.class) return text(node, c);
        if (c.isPrimitive() || c == Boolean.class || c == Character.class || Number.class.isAssignableFrom(c)) return scalar(node, c);
        if (c.isEnum()) return enumValue(node, c);
        if (c.isArray()) return array(node, t);
        if (Map.class.isAssignableFrom(c)) return map(node, t);
        if (Collection.class.isAssignableFrom(c) || c == Iterable.class) return collection(node, t);
        if (c == Optional.class) return Optional.ofNullable(read(node, JType.argument(t, Optional.class, 0)));
        if (c == Date.class && node instanceof Number) return new Date(((Number) node).longValue());
        if (c.isRecord()) return record(node, t);
        return bean(node, t);
    }

    private static Object primitiveDefault(Class<?> c) {
        if (c == boolean.class) return Boolean.FALSE;
        if (c == char.class) return Character.valueOf('\0');
        if (c == long.class) return Long.valueOf(0);
        if (c == double.class) return Double.valueOf(0);
        if (c == float.class) return Float.valueOf(0);
        if (c == short.class) return Short.valueOf((short) 0);
        if (c == byte.class) return Byte.valueOf((byte) 0);
        return Integer.valueOf(0);
    }

    private static String kind(Object node) {
        if (node instanceof Map) return "Object value";
        if (node instanceof List) return "Array value";
        if (node instanceof String) return "String value";
        if (node instanceof Boolean) return "Boolean value";
        return "Number value";
    }

    private static BindException mismatch(Class<?> c, Object node) {
        return new BindException("Cannot deserialize value of type `" + c.getTypeName() + "` from " + kind(node));
    }

    private static Object text(Object node, Class<?> c) {
        if (node instanceof String) return node;
        // Scalars coerce to their text, as Jackson's StringDeserializer does; structures do not.
        if (node instanceof Number || node instanceof Boolean) return node.toString();
        throw mismatch(c, node);
    }

    private static Object scalar(Object node, Class<?> c) {
        if (c == boolean.class || c == Boolean.class) {
            if (node instanceof Boolean) return node;
            if (node instanceof Number) return Boolean.valueOf(((Number) node).longValue() != 0);
            if (node instanceof String) {
                String s = ((String) node).trim();
                if (s.isEmpty()) return c.isPrimitive() ? Boolean.FALSE : null;
                if (s.equalsIgnoreCase("true")) return Boolean.TRUE;
                if (s.equalsIgnoreCase("false")) return Boolean.FALSE;
                throw new BindException("Cannot deserialize value of type `" + c.getTypeName() + "` from String \"" + s + "\": only \"true\" or \"false\" recognized");
            }
            throw mismatch(c, node);
        }
        if (c == char.class || c == Character.class) {
            if (node instanceof String && ((String) node).length() == 1) return Character.valueOf(((String) node).charAt(0));
            if (node instanceof Integer) return Character.valueOf((char) ((Integer) node).intValue());
            if ("".equals(node)) return c.isPrimitive() ? Character.valueOf('\0') : null;
            throw mismatch(c, node);
        }
        Number n;
        if (node instanceof Number) {
            n = (Number) node;
        } else if (node instanceof String) {
            String s = ((String) node).trim();
            if (s.isEmpty()) return c.isPrimitive() ? primitiveDefault(c) : null;
            try {
                n = s.indexOf('.') >= 0 || s.indexOf('e') >= 0 || s.indexOf('E') >= 0 || s.equals("NaN") || s.endsWith("Infinity")
                    ? (Number) Double.valueOf(s) : Json.integer(s);
            } catch (NumberFormatException e) {
                throw new BindException("Cannot deserialize value of type `" + c.getTypeName() + "` from String \"" + s + "\": not a valid number");
            }
        } else {
            throw mismatch(c, node);
        }
        if (c == int.class || c == Integer.class) return Integer.valueOf((int) integral(n, Integer.MIN_VALUE, Integer.MAX_VALUE, c));
        if (c == long.class || c == Long.class) return Long.valueOf(integral(n, Long.MIN_VALUE, Long.MAX_VALUE, c));
        if (c == short.class || c == Short.class) return Short.valueOf((short) integral(n, Short.MIN_VALUE, Short.MAX_VALUE, c));
        if (c == byte.class || c == Byte.class) return Byte.valueOf((byte) integral(n, Byte.MIN_VALUE, 255, c));
        if (c == double.class || c == Double.class) return Double.valueOf(n.doubleValue());
        if (c == float.class || c == Float.class) return Float.valueOf(n.floatValue());
        if (c == BigDecimal.class) {
            if (n instanceof BigInteger) return new BigDecimal((BigInteger) n);
            if (n instanceof Double) return BigDecimal.valueOf(n.doubleValue());
            return BigDecimal.valueOf(n.longValue());
        }
        if (c == BigInteger.class) {
            if (n instanceof BigInteger) return n;
            if (n instanceof Double) return BigDecimal.valueOf(n.doubleValue()).toBigInteger();
            return BigInteger.valueOf(n.longValue());
        }
        if (c == Number.class) return n;
        throw new BindException("Cannot deserialize value of type `" + c.getTypeName() + "`: this number type is not supported");
    }

    /** A whole number within [min, max]; a fraction is truncated (Jackson's ACCEPT_FLOAT_AS_INT). */
    private static long integral(Number n, long min, long max, Class<?> c) {
        if (n instanceof Double) {
            double d = n.doubleValue();
            if (d >= min && d <= max) return (long) d;
        } else if (n instanceof BigInteger) {
            BigInteger b = (BigInteger) n;
            if (b.bitLength() <= 63 && b.longValue() >= min && b.longValue() <= max) return b.longValue();
        } else {
            long v = n.longValue();
            if (v >= min && v <= max) return v;
        }
        throw new BindException("Numeric value (" + n + ") out of range of " + c.getTypeName());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Object node, Class<?> c) {
        Object[] constants = c.getEnumConstants();
        if (node instanceof String) {
            for (Object k : constants) if (((Enum) k).name().equals(node)) return k;
            // READ_UNKNOWN_ENUM_VALUES_AS_NULL, as Lambda's serializer is configured.
            return null;
        }
        if (node instanceof Integer) {
            int i = (Integer) node;
            if (i >= 0 && i < constants.length) return constants[i];
            return null;
        }
        throw mismatch(c, node);
    }

    private static Object array(Object node, JType t) {
        Class<?> c = t.raw;
        if (c == byte[].class && node instanceof String) {
            try {
                return Base64.getMimeDecoder().decode((String) node);
            } catch (IllegalArgumentException e) {
                throw new BindException("Cannot deserialize value of type `byte[]` from String: not valid Base64", e);
            }
        }
        if (c == char[].class && node instanceof String) return ((String) node).toCharArray();
        JType component = t.args.length > 0 ? t.args[0] : JType.of(c.getComponentType(), null);
        List<?> list = node instanceof List ? (List<?>) node : java.util.Collections.singletonList(node);
        Object out = Array.newInstance(component.raw, list.size());
        for (int i = 0; i < list.size(); i++) {
            Object v;
            try {
                v = read(list.get(i), component);
            } catch (BindException e) {
                throw e.at("[" + i + "]");
            }
            Array.set(out, i, v);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object collection(Object node, JType t) {
        Class<?> c = t.raw;
        Collection<Object> out;
        if (c == List.class || c == Collection.class || c == Iterable.class || c == ArrayList.class) out = new ArrayList<Object>();
        else if (c == Set.class || c == LinkedHashSet.class || c == java.util.HashSet.class) out = new LinkedHashSet<Object>();
        else if (c == SortedSet.class || c == NavigableSet.class || c == TreeSet.class) out = new TreeSet<Object>();
        else if (c == Queue.class || c == java.util.Deque.class) out = new LinkedList<Object>();
        else if (c == ArrayDeque.class) out = new ArrayDeque<Object>();
        else out = (Collection<Object>) instantiate(c);
        JType element = JType.argument(t, c == Iterable.class ? Iterable.class : Collection.class, 0);
        // ACCEPT_SINGLE_VALUE_AS_ARRAY: a lone value where a list is declared is a list of one.
        List<?> list = node instanceof List ? (List<?>) node : java.util.Collections.singletonList(node);
        for (int i = 0; i < list.size(); i++) {
            try {
                out.add(read(list.get(i), element));
            } catch (BindException e) {
                throw e.at("[" + i + "]");
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object map(Object node, JType t) {
        Class<?> c = t.raw;
        if (!(node instanceof Map)) {
            if ("".equals(node)) return null;
            throw mismatch(c, node);
        }
        Map<Object, Object> out;
        if (c == Map.class || c == LinkedHashMap.class || c == HashMap.class) out = new LinkedHashMap<Object, Object>();
        else if (c == SortedMap.class || c == NavigableMap.class || c == TreeMap.class) out = new TreeMap<Object, Object>();
        else if (c == ConcurrentMap.class || c == ConcurrentHashMap.class) out = new ConcurrentHashMap<Object, Object>();
        else out = (Map<Object, Object>) instantiate(c);
        JType keyType = JType.argument(t, Map.class, 0);
        JType valueType = JType.argument(t, Map.class, 1);
        boolean stringKeys = keyType.raw == String.class || keyType.raw == Object.class || keyType.raw == CharSequence.class;
        for (Map.Entry<String, Object> e : ((Map<String, Object>) node).entrySet()) {
            try {
                Object key = stringKeys ? e.getKey() : read(e.getKey(), keyType);
                out.put(key, read(e.getValue(), valueType));
            } catch (BindException ex) {
                throw ex.at("." + e.getKey());
            }
        }
        return out;
    }

    private static Object instantiate(Class<?> c) {
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "` (no Creators, like default constructor, exist): abstract types need to be mapped to concrete types");
        }
        try {
            Constructor<?> ctor = c.getDeclaredConstructor();
            ctor.trySetAccessible();
            return ctor.newInstance();
        } catch (NoSuchMethodException e) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "` (no Creators, like default constructor, exist): cannot deserialize from Object value (no delegate- or property-based Creator)");
        } catch (InvocationTargetException e) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "`, problem: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "`, problem: " + e, e);
        }
    }

    /** One settable property of a POJO as seen through a resolved type. */
    private static final class Property {
        final Method setter;
        final Field field;
        final JType type;

        Property(Method setter, Field field, JType type) {
            this.setter = setter;
            this.field = field;
            this.type = type;
        }

        void set(Object target, Object value) {
            try {
                if (setter != null) setter.invoke(target, value);
                else field.set(target, value);
            } catch (InvocationTargetException e) {
                throw new BindException("Problem setting a property: " + e.getCause(), e.getCause());
            } catch (IllegalAccessException | IllegalArgumentException e) {
                throw new BindException("Problem setting a property: " + e, e);
            }
        }
    }

    /** How a POJO type is read: its properties exactly and in lower case. */
    private static final class BeanReader {
        final Map<String, Property> exact = new HashMap<String, Property>();
        final Map<String, Property> folded = new HashMap<String, Property>();
    }

    private static final ConcurrentHashMap<JType, BeanReader> BEAN_READERS = new ConcurrentHashMap<JType, BeanReader>();

    private static BeanReader beanReader(JType t) {
        BeanReader r = BEAN_READERS.get(t);
        if (r != null) return r;
        r = new BeanReader();
        Map<TypeVariable<?>, JType> env = JType.fullEnv(t);
        // Subclasses first: their setters and fields win over those they hide.
        for (Class<?> k = t.raw; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                String name = m.getName();
                if (m.getParameterCount() != 1 || Modifier.isStatic(m.getModifiers()) || m.isBridge() || name.length() <= 3 || !name.startsWith("set")) continue;
                String prop = decapitalize(name.substring(3));
                Property existing = r.exact.get(prop);
                // Of overloads, a String setter is preferred (a JSON scalar fits it); else the first seen.
                if (existing != null && !(existing.setter != null && existing.setter.getDeclaringClass() == k && m.getParameterTypes()[0] == String.class)) continue;
                if (!m.trySetAccessible()) continue;
                r.exact.put(prop, new Property(m, null, JType.of(m.getGenericParameterTypes()[0], env)));
            }
        }
        for (Field f : t.raw.getFields()) {
            int mod = f.getModifiers();
            if (Modifier.isStatic(mod) || Modifier.isFinal(mod) || Modifier.isTransient(mod) || r.exact.containsKey(f.getName())) continue;
            if (!f.trySetAccessible()) continue;
            r.exact.put(f.getName(), new Property(null, f, JType.of(f.getGenericType(), env)));
        }
        for (Map.Entry<String, Property> e : r.exact.entrySet()) r.folded.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
        BEAN_READERS.putIfAbsent(t, r);
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Object bean(Object node, JType t) {
        Class<?> c = t.raw;
        if (!(node instanceof Map)) {
            // ACCEPT_EMPTY_STRING_AS_NULL_OBJECT, ACCEPT_EMPTY_ARRAY_AS_NULL_OBJECT, UNWRAP_SINGLE_VALUE_ARRAYS.
            if ("".equals(node)) return null;
            if (node instanceof List && ((List<?>) node).isEmpty()) return null;
            if (node instanceof List && ((List<?>) node).size() == 1) return read(((List<?>) node).get(0), t);
            throw mismatch(c, node);
        }
        Object target = instantiate(c);
        BeanReader r = beanReader(t);
        for (Map.Entry<String, Object> e : ((Map<String, Object>) node).entrySet()) {
            Property p = r.exact.get(e.getKey());
            if (p == null) p = r.folded.get(e.getKey().toLowerCase(Locale.ROOT));
            if (p == null) continue;
            try {
                p.set(target, read(e.getValue(), p.type));
            } catch (BindException ex) {
                throw ex.at("." + e.getKey());
            }
        }
        return target;
    }

    @SuppressWarnings("unchecked")
    private static Object record(Object node, JType t) {
        Class<?> c = t.raw;
        if (!(node instanceof Map)) {
            if ("".equals(node)) return null;
            throw mismatch(c, node);
        }
        Map<String, Object> fields = (Map<String, Object>) node;
        RecordComponent[] components = c.getRecordComponents();
        Map<TypeVariable<?>, JType> env = JType.ownEnv(t);
        Class<?>[] rawTypes = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent rc = components[i];
            rawTypes[i] = rc.getType();
            Object v = fields.get(rc.getName());
            if (v == null && !fields.containsKey(rc.getName())) {
                for (Map.Entry<String, Object> e : fields.entrySet()) {
                    if (e.getKey().equalsIgnoreCase(rc.getName())) v = e.getValue();
                }
            }
            try {
                args[i] = read(v, JType.of(rc.getGenericType(), env));
            } catch (BindException ex) {
                throw ex.at("." + rc.getName());
            }
        }
        try {
            Constructor<?> ctor = c.getDeclaredConstructor(rawTypes);
            ctor.trySetAccessible();
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "`, problem: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new BindException("Cannot construct instance of `" + c.getTypeName() + "`, problem: " + e, e);
        }
    }

    /** The property name of an accessor's suffix: {@code Name} -> {@code name}, {@code URL} -> {@code URL} (standard bean naming). */
    static String decapitalize(String s) {
        if (s.isEmpty()) return s;
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isUpperCase(s.charAt(1))) return s;
        char first = s.charAt(0);
        if (Character.isLowerCase(first)) return s;
        return Character.toLowerCase(first) + s.substring(1);
    }
}
