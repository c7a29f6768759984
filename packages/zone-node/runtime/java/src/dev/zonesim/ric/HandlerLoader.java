package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns {@code _HANDLER} into a {@link Handler}, as Lambda's Java runtime does:
 *
 * <ul>
 *   <li>{@code pkg.Class}: the class implements {@link RequestStreamHandler} or
 *       {@link RequestHandler} and has a public no-argument constructor;</li>
 *   <li>{@code pkg.Class::method}: a public method of that name; of several overloads the one with
 *       the most parameters wins, a trailing {@link Context} counting one more, non-bridge methods
 *       first; an instance method gets an instance made with the public no-argument constructor.</li>
 * </ul>
 *
 * Loading runs the class's static initializer and the constructor during INIT, as on Lambda; any
 * failure is an {@link InitFault} with Lambda's message.
 */
final class HandlerLoader {

    private HandlerLoader() {
    }

    static Handler load(String handler, ClassLoader loader) throws InitFault {
        int sep = handler.lastIndexOf("::");
        String className = sep < 0 ? handler : handler.substring(0, sep);
        String methodName = sep < 0 ? null : handler.substring(sep + 2);
        if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
            throw InitFault.message("Invalid handler: `" + handler + "'");
        }
        Class<?> c;
        try {
            c = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            Errors.filter(e);
            throw new InitFault("Class not found: " + className, e.getClass().getName(), e);
        } catch (Throwable t) {
            // ExceptionInInitializerError (a static initializer threw), NoClassDefFoundError (a dependency is missing),
            // UnsupportedClassVersionError (compiled for a newer Java)...
            Errors.filter(t);
            String detail = t.getMessage() == null ? "" : ": " + t.getMessage();
            throw new InitFault("Error loading class " + className + detail, t.getClass().getName(), t);
        }
        if (methodName == null) return interfaceHandler(c);
        return methodHandler(c, methodName);
    }

    @SuppressWarnings("rawtypes")
    private static Handler interfaceHandler(Class<?> c) throws InitFault {
        if (RequestStreamHandler.class.isAssignableFrom(c)) return new Handler.Stream((RequestStreamHandler) construct(c));
        if (!RequestHandler.class.isAssignableFrom(c)) {
            throw InitFault.message("Class does not implement an appropriate handler interface: " + c.getName());
        }
        // The erased bridge handleRequest(Object, Context) says nothing; the implementation's own method has the types.
        Method impl = null;
        for (Method m : c.getMethods()) {
            if (!m.getName().equals("handleRequest") || m.getParameterCount() != 2 || m.getParameterTypes()[1] != Context.class) continue;
            if (impl == null || (impl.isBridge() && !m.isBridge())) impl = m;
        }
        JType input = JType.OBJECT;
        boolean isVoid = false;
        if (impl != null) {
            input = JType.of(impl.getGenericParameterTypes()[0], JType.envOf(c));
            isVoid = isVoid(impl.getReturnType());
        }
        return new Handler.Pojo((RequestHandler) construct(c), input, isVoid);
    }

    private static boolean isVoid(Class<?> c) {
        return c == void.class || c == Void.class;
    }

    /** An instance from the public no-argument constructor; what it throws is the INIT error. */
    private static Object construct(Class<?> c) throws InitFault {
        Constructor<?> ctor;
        try {
            ctor = c.getConstructor();
        } catch (NoSuchMethodException e) {
            if (c.getEnclosingClass() != null && !Modifier.isStatic(c.getModifiers())) {
                throw new InitFault("Class " + c.getName() + " cannot be instantiated because it is a non-static inner class", "java.lang.Exception", null);
            }
            throw new InitFault("Class " + c.getName() + " has no public zero-argument constructor", "java.lang.Exception", null);
        }
        try {
            return ctor.newInstance();
        } catch (InvocationTargetException e) {
            throw InitFault.of(e.getCause() != null ? e.getCause() : e);
        } catch (InstantiationException e) {
            throw InitFault.of(e.getCause() != null ? e.getCause() : e);
        } catch (IllegalAccessException | RuntimeException e) {
            throw InitFault.of(e);
        }
    }

    private static boolean isContext(Class<?> c) {
        return c == Context.class;
    }

    /** Lambda's order of overloads: non-bridge first, then more parameters (a trailing Context counting one more). */
    private static final Comparator<Method> PRIORITY = new Comparator<Method>() {
        @Override
        public int compare(Method a, Method b) {
            if (a.isBridge() != b.isBridge()) return a.isBridge() ? 1 : -1;
            return Integer.compare(weight(b), weight(a));
        }

        private int weight(Method m) {
            Class<?>[] p = m.getParameterTypes();
            return p.length + (p.length > 0 && isContext(p[p.length - 1]) ? 1 : 0);
        }
    };

    private static Handler methodHandler(Class<?> c, String name) throws InitFault {
        List<Method> candidates = new ArrayList<Method>();
        for (Method m : c.getMethods()) if (m.getName().equals(name)) candidates.add(m);
        candidates.sort(PRIORITY);
        for (Method m : candidates) {
            Handler h = fromOverload(c, m);
            if (h != null) return h;
        }
        throw InitFault.message("No public method named " + name + " with appropriate method signature found on class " + c.getName());
    }

    /** The handler for one overload, or null when its signature is not one Lambda accepts. */
    private static Handler fromOverload(Class<?> c, Method m) throws InitFault {
        Class<?>[] p = m.getParameterTypes();
        Type[] generic = m.getGenericParameterTypes();
        boolean isVoid = isVoid(m.getReturnType());
        boolean stream;
        boolean in = false;
        boolean out = false;
        boolean ctx = false;
        JType input = null;
        switch (p.length) {
            case 0:
                stream = false;
                break;
            case 1:
                if (p[0] == InputStream.class || p[0] == OutputStream.class) {
                    stream = true;
                    in = p[0] == InputStream.class;
                    out = !in;
                } else if (isContext(p[0])) {
                    stream = false;
                    ctx = true;
                } else {
                    stream = false;
                    in = true;
                    input = JType.of(generic[0], JType.envOf(c));
                }
                break;
            case 2:
                if (p[0] == OutputStream.class && isContext(p[1])) {
                    stream = true;
                    out = true;
                    ctx = true;
                } else if (p[0] == InputStream.class && (p[1] == OutputStream.class || isContext(p[1]))) {
                    stream = true;
                    in = true;
                    out = p[1] == OutputStream.class;
                    ctx = !out;
                } else if (!isContext(p[0]) && p[0] != InputStream.class && p[0] != OutputStream.class && isContext(p[1])) {
                    stream = false;
                    in = true;
                    ctx = true;
                    input = JType.of(generic[0], JType.envOf(c));
                } else {
                    return null;
                }
                break;
            case 3:
                if (p[0] != InputStream.class || p[1] != OutputStream.class || !isContext(p[2])) return null;
                stream = true;
                in = true;
                out = true;
                ctx = true;
                break;
            default:
                return null;
        }
        Object instance = Modifier.isStatic(m.getModifiers()) ? null : construct(c);
        return new Handler.MethodHandler(m, instance, stream, in, out, ctx, input, isVoid);
    }
}
