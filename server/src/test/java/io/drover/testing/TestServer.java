package io.drover.testing;

import io.drover.DroverServer;
import io.drover.config.Config;
import io.drover.store.Db;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

/**
 * An in-process Drover server on a random port with its own fresh database. Several servers may
 * share one database ({@link #startOn}) to test many nodes. Intervals are short so that tests wait
 * for conditions quickly; nothing else differs from production.
 *
 * <pre>{@code
 * try (TestServer server = TestServer.start()) {
 *     var client = server.client(); // or HTTP to server.baseUrl() with server.adminKey()
 * }
 * }</pre>
 */
public final class TestServer implements AutoCloseable {
    public static final String ADMIN_KEY = "test-admin-key-0123456789abcdef";
    public static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private final DroverServer server;
    private final String jdbcUrl;

    private TestServer(DroverServer server, String jdbcUrl) {
        this.server = server;
        this.jdbcUrl = jdbcUrl;
    }

    /** A server on a new database. */
    public static TestServer start() {
        return startOn(TestDatabase.freshDatabase(caller()), Map.of());
    }

    public static TestServer start(Map<String, String> env) {
        return startOn(TestDatabase.freshDatabase(caller()), env);
    }

    /** A server on a new database whose clock the test moves. */
    public static TestServer start(Map<String, String> env, InstantSource clock) {
        return startOn(TestDatabase.freshDatabase(caller()), env, clock);
    }

    /** A server on an existing database (another node of the same cluster). */
    public static TestServer startOn(String jdbcUrl, Map<String, String> extraEnv) {
        return startOn(jdbcUrl, extraEnv, InstantSource.system());
    }

    public static TestServer startOn(String jdbcUrl, Map<String, String> extraEnv, InstantSource clock) {
        Map<String, String> env = new HashMap<>();
        env.put("DROVER_PORT", "0");
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATABASE_URL", jdbcUrl + "?user=postgres");
        env.put("DROVER_ADMIN_API_KEY", ADMIN_KEY);
        env.put("DROVER_SECRETS_KEY", SECRETS_KEY);
        env.put("DROVER_POLL_INTERVAL_MS", "200");
        env.put("DROVER_REAPER_INTERVAL_MS", "100");
        env.put("DROVER_DB_POOL_SIZE", "16");
        env.put("DROVER_SHUTDOWN_GRACE_MS", "2000");
        // Tests push to receivers on this machine, which the outbound guard refuses by default; tests of
        // the guard itself pass their own DROVER_OUTBOUND_ALLOW ("" for the production default).
        env.put("DROVER_OUTBOUND_ALLOW", "127.0.0.1/32,::1/128");
        env.putAll(extraEnv);
        try {
            Path dir = Files.createTempDirectory("drover-test");
            env.putIfAbsent("DROVER_DATA_DIR", dir.toString());
            return new TestServer(DroverServer.start(Config.fromEnv(env), clock), jdbcUrl);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String caller() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(s -> s.map(f -> f.getDeclaringClass().getSimpleName())
                        .filter(n -> !n.equals("TestServer")).findFirst().orElse("test"));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public int port() {
        return server.port();
    }

    public String adminKey() {
        return ADMIN_KEY;
    }

    /** The database URL (JDBC, user postgres) this server uses; pass to {@link #startOn} for another node. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public Db db() {
        return server.db();
    }

    public DroverServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
