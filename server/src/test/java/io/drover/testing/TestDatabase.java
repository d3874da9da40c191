package io.drover.testing;

import io.drover.store.Db;
import io.drover.store.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One embedded PostgreSQL per test JVM, and a fresh database per caller copied from a template
 * that was migrated once (CREATE DATABASE ... TEMPLATE takes milliseconds). Durability settings
 * are relaxed here only: tests do not survive power loss, the product does.
 */
public final class TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedDatabase postgres;

    private TestDatabase() {}

    private static synchronized EmbeddedDatabase postgres() {
        if (postgres == null) {
            try {
                Path dir = Files.createTempDirectory("drover-test-pg");
                postgres = EmbeddedDatabase.start(dir, Map.of("fsync", "off", "synchronous_commit", "off",
                        "full_page_writes", "off", "max_connections", "600"));
                postgres.ensureDatabase("drover_template");
                try (Db db = new Db(postgres.jdbcUrl("drover_template"), postgres.user(), null, 4)) {
                    db.migrate();
                }
                Runtime.getRuntime().addShutdownHook(new Thread(postgres::close));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return postgres;
    }

    /** Creates a new, migrated database and returns its JDBC URL (user postgres, no password). */
    public static String freshDatabase(String hint) {
        EmbeddedDatabase pg = postgres();
        String name = "t_" + hint.toLowerCase().replaceAll("[^a-z0-9]", "_") + "_" + COUNTER.incrementAndGet();
        if (name.length() > 60) {
            name = name.substring(name.length() - 60);
        }
        try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE \"" + name + "\" TEMPLATE drover_template");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return pg.jdbcUrl(name);
    }

    public static EmbeddedDatabase embedded() {
        return postgres();
    }
}
