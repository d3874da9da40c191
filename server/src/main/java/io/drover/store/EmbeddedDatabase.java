package io.drover.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL (binaries from a Maven artifact) whose data lives in {@code <dataDir>/pg} and
 * survives restarts. It also survives a {@code kill -9} of a previous server: a postmaster left
 * running by the dead server is shut down (SIGQUIT, PostgreSQL's own immediate stop) before ours
 * starts, and a stale {@code postmaster.pid} is left for PostgreSQL to discard.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    public static final String DATABASE = "drover";

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts PostgreSQL on the data folder, with durable settings (fsync, synchronous commit, full page writes on). */
    public static EmbeddedDatabase start(Path dataDir) throws IOException {
        return start(dataDir, Map.of());
    }

    public static EmbeddedDatabase start(Path dataDir, Map<String, String> extraSettings) throws IOException {
        Path pgData = dataDir.resolve("pg");
        Files.createDirectories(pgData);
        stopOrphanedPostmaster(pgData);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(120))
                .setServerConfig("max_connections", "300")
                .setServerConfig("shared_buffers", "256MB")
                .setServerConfig("max_wal_size", "2GB")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("timezone", "UTC")
                // The library starts PostgreSQL with -F (fsync off) and synchronous_commit off, which
                // suits throwaway test databases. Drover's data must survive a power cut: turn both on.
                // (-c settings come after -F on the command line, so they win.)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on");
        extraSettings.forEach(builder::setServerConfig);
        EmbeddedPostgres postgres = builder.start();
        EmbeddedDatabase db = new EmbeddedDatabase(postgres);
        db.ensureDatabase(DATABASE);
        log.info("embedded PostgreSQL ready on port {} with data in {}", postgres.getPort(), pgData);
        return db;
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database;
    }

    public String user() {
        return "postgres";
    }

    /** Creates the database unless it exists. */
    public void ensureDatabase(String name) {
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new DbException(e);
        }
    }

    public Connection adminConnection() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    private static void stopOrphanedPostmaster(Path pgData) {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        Optional<ProcessHandle> postmaster = readPid(pidFile).flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(cmd -> cmd.contains("postgres")).orElse(false));
        if (postmaster.isEmpty()) {
            return; // a stale pid file: PostgreSQL removes it itself when the pid is gone
        }
        ProcessHandle p = postmaster.get();
        log.warn("a PostgreSQL (pid {}) from an earlier server still runs on {}; stopping it", p.pid(), pgData);
        try {
            // SIGQUIT is PostgreSQL's immediate shutdown: children are stopped too, recovery runs at next start.
            new ProcessBuilder(List.of("kill", "-QUIT", Long.toString(p.pid()))).inheritIO().start().waitFor();
            p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // fall through to the forced kill below
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            log.warn("could not signal pid {}: {}", p.pid(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (p.isAlive()) {
            p.destroyForcibly();
        }
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("stopping embedded PostgreSQL: {}", e.toString());
        }
    }
}
