package io.drover.testing;

import io.drover.client.DroverClient;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The lifecycle of the server of a {@link DroverTest} class: starts it, hands it to fields and
 * parameters, closes it. Use it through the annotation.
 */
public final class TestServerExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestServerExtension.class);
    private static final Set<Class<?>> INJECTED = Set.of(TestServer.class, Api.class, DroverClient.class);

    /** A started server with its two ways in; the client is made on first use. */
    static final class Harness implements AutoCloseable {
        final TestServer server;
        final Api api;
        private DroverClient client;
        private boolean closed;

        Harness(TestServer server) {
            this.server = server;
            this.api = new Api(server);
        }

        synchronized DroverClient client() {
            if (client == null) {
                client = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey()).build();
            }
            return client;
        }

        Object get(Class<?> type) {
            if (type == TestServer.class) {
                return server;
            }
            return type == Api.class ? api : client();
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (client != null) {
                    client.close();
                }
            } finally {
                server.close();
            }
        }
    }

    /**
     * How a class or method context holds its harness: not itself closeable, so that JUnit does not
     * close a shared server with the first class that used it; {@link #stop} closes the others.
     */
    private record Ref(Harness harness) {}

    @Override
    public void beforeAll(ExtensionContext context) throws IllegalAccessException {
        DroverTest config = config(context);
        if (config.lifecycle() == DroverTest.Lifecycle.PER_CLASS) {
            Harness h = config.shared() ? shared(context) : start(context);
            context.getStore(NS).put(Ref.class, new Ref(h));
            inject(context.getRequiredTestClass(), context.getTestInstance().orElse(null), h);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IllegalAccessException {
        if (config(context).lifecycle() == DroverTest.Lifecycle.PER_METHOD) {
            Harness h = start(context);
            context.getStore(NS).put(Ref.class, new Ref(h));
            inject(context.getRequiredTestClass(), context.getRequiredTestInstance(), h);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (config(context).lifecycle() == DroverTest.Lifecycle.PER_METHOD) {
            stop(context);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        DroverTest config = config(context);
        if (config.lifecycle() == DroverTest.Lifecycle.PER_CLASS && !config.shared()) {
            stop(context);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return INJECTED.contains(parameter.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Ref ref = context.getStore(NS).get(Ref.class, Ref.class);
        if (ref == null) {
            // a constructor or @BeforeAll asking for a per-method server, which does not exist yet
            throw new ParameterResolutionException("no Drover server at this point of the lifecycle ("
                    + config(context).lifecycle() + "): ask for it in a test or @BeforeEach method");
        }
        return ref.harness().get(parameter.getParameter().getType());
    }

    private static DroverTest config(ExtensionContext context) {
        return AnnotationSupport.findAnnotation(context.getRequiredTestClass(), DroverTest.class)
                .orElseThrow(() -> new ExtensionConfigurationException(
                        "TestServerExtension is used through @DroverTest on the test class"));
    }

    private static Harness start(ExtensionContext context) {
        String hint = context.getRequiredTestClass().getSimpleName();
        return new Harness(TestServer.startOn(TestDatabase.freshDatabase(hint), env(context)));
    }

    /**
     * The server of the shared classes with this environment, started on first use and kept in the
     * root context's store, which closes it when the whole test run ends.
     */
    private static Harness shared(ExtensionContext context) {
        Map<String, String> env = env(context);
        return context.getRoot().getStore(NS).getOrComputeIfAbsent("shared " + new TreeMap<>(env),
                key -> new Harness(TestServer.startOn(TestDatabase.freshDatabase("shared"), env)), Harness.class);
    }

    private static Map<String, String> env(ExtensionContext context) {
        Map<String, String> env = new HashMap<>();
        for (String pair : config(context).env()) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ExtensionConfigurationException("@DroverTest env entries are NAME=value, got: " + pair);
            }
            env.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return env;
    }

    private static void stop(ExtensionContext context) {
        Ref ref = context.getStore(NS).remove(Ref.class, Ref.class);
        if (ref != null) {
            ref.harness().close();
        }
    }

    /**
     * Sets the fields of the injected types: static ones always, instance ones when there is an
     * instance (a per-method server, or a class with one instance for all its tests). A type
     * declared by more than one field is left to the class.
     */
    private static void inject(Class<?> testClass, Object instance, Harness h) throws IllegalAccessException {
        Map<Class<?>, List<Field>> byType = new HashMap<>();
        for (Class<?> c = testClass; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                boolean settable = !Modifier.isFinal(m) && (Modifier.isStatic(m) || instance != null);
                if (settable && INJECTED.contains(f.getType())) {
                    byType.computeIfAbsent(f.getType(), t -> new ArrayList<>()).add(f);
                }
            }
        }
        for (var e : byType.entrySet()) {
            if (e.getValue().size() == 1) {
                Field f = e.getValue().get(0);
                f.setAccessible(true);
                f.set(Modifier.isStatic(f.getModifiers()) ? null : instance, h.get(e.getKey()));
            }
        }
    }
}
