package dev.zonesim.ric;

import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A declared type with its type arguments resolved to types ({@code List<Item>},
 * {@code Map<String, List<Long>>}; for arrays {@code args[0]} is the component), and how
 * reflection's {@link Type}s resolve to it: a type variable takes its binding (from the declared
 * type, or a superclass's {@code extends Envelope<Item>}), else its erased bound.
 */
final class JType {
    static final JType[] NONE = new JType[0];
    static final JType OBJECT = new JType(Object.class, NONE);

    final Class<?> raw;
    final JType[] args;

    JType(Class<?> raw, JType[] args) {
        this.raw = raw;
        this.args = args;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JType && ((JType) o).raw == raw && Arrays.equals(((JType) o).args, args);
    }

    @Override
    public int hashCode() {
        return raw.hashCode() * 31 + Arrays.hashCode(args);
    }

    @Override
    public String toString() {
        if (args.length == 0 || raw.isArray()) return raw.getTypeName();
        StringBuilder sb = new StringBuilder(raw.getTypeName()).append('<');
        for (int i = 0; i < args.length; i++) sb.append(i == 0 ? "" : ",").append(args[i]);
        return sb.append('>').toString();
    }

    /** Resolves {@code t}; type variables come from {@code env}, else their erased bound. */
    static JType of(Type t, Map<TypeVariable<?>, JType> env) {
        if (t instanceof Class) {
            Class<?> c = (Class<?>) t;
            if (c.isArray()) return new JType(c, new JType[] {of(c.getComponentType(), env)});
            return c == Object.class ? JType.OBJECT : new JType(c, JType.NONE);
        }
        if (t instanceof ParameterizedType) {
            ParameterizedType p = (ParameterizedType) t;
            Type[] actual = p.getActualTypeArguments();
            JType[] args = new JType[actual.length];
            for (int i = 0; i < actual.length; i++) args[i] = of(actual[i], env);
            return new JType((Class<?>) p.getRawType(), args);
        }
        if (t instanceof GenericArrayType) {
            JType component = of(((GenericArrayType) t).getGenericComponentType(), env);
            return new JType(Array.newInstance(component.raw, 0).getClass(), new JType[] {component});
        }
        if (t instanceof WildcardType) {
            Type[] upper = ((WildcardType) t).getUpperBounds();
            return upper.length == 0 ? JType.OBJECT : of(upper[0], env);
        }
        if (t instanceof TypeVariable) {
            JType bound = env == null ? null : env.get(t);
            if (bound != null) return bound;
            Type[] bounds = ((TypeVariable<?>) t).getBounds();
            // The erasure: a bound such as `T extends Comparable<T>` would otherwise recurse forever.
            if (bounds.length > 0 && bounds[0] instanceof Class) return of(bounds[0], null);
            if (bounds.length > 0 && bounds[0] instanceof ParameterizedType) {
                return new JType((Class<?>) ((ParameterizedType) bounds[0]).getRawType(), JType.NONE);
            }
        }
        return JType.OBJECT;
    }

    /** The bindings of {@code t}'s own type variables (a raw use binds them to Object). */
    static Map<TypeVariable<?>, JType> ownEnv(JType t) {
        TypeVariable<?>[] vars = t.raw.getTypeParameters();
        if (vars.length == 0) return null;
        Map<TypeVariable<?>, JType> env = new HashMap<TypeVariable<?>, JType>();
        for (int i = 0; i < vars.length; i++) env.put(vars[i], i < t.args.length ? t.args[i] : JType.OBJECT);
        return env;
    }

    /** Bindings of the type variables of {@code t} and of all its superclasses, as seen from {@code t}. */
    static Map<TypeVariable<?>, JType> fullEnv(JType t) {
        Map<TypeVariable<?>, JType> env = new HashMap<TypeVariable<?>, JType>();
        JType cur = t;
        while (cur != null && cur.raw != Object.class) {
            Map<TypeVariable<?>, JType> own = ownEnv(cur);
            if (own != null) env.putAll(own);
            Type sup = cur.raw.getGenericSuperclass();
            cur = sup == null ? null : of(sup, own);
        }
        return env;
    }

    /** The bindings of the type variables of {@code c}'s superclasses, as {@code c} declares them. */
    static Map<TypeVariable<?>, JType> envOf(Class<?> c) {
        return fullEnv(new JType(c, JType.NONE));
    }

    /** The {@code index}-th type argument {@code t} gives to the generic {@code target} (List's E, Map's V). */
    static JType argument(JType t, Class<?> target, int index) {
        if (t.raw == target) return index < t.args.length ? t.args[index] : JType.OBJECT;
        Map<TypeVariable<?>, JType> env = ownEnv(t);
        Type sup = t.raw.getGenericSuperclass();
        if (sup != null) {
            JType st = of(sup, env);
            if (target.isAssignableFrom(st.raw)) return argument(st, target, index);
        }
        for (Type iface : t.raw.getGenericInterfaces()) {
            JType it = of(iface, env);
            if (target.isAssignableFrom(it.raw)) return argument(it, target, index);
        }
        return JType.OBJECT;
    }
}
