package io.drover.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The machine's own PostgreSQL (not the embedded one), run from a temporary data folder, for the
 * external-mode scenarios: it can be restarted under load with {@code pg_ctl}. The binaries are
 * looked for in /usr/local/bin and /usr/lib/postgresql/NN/bin (what {@code apt-get install postgresql}
 * gives). PostgreSQL refuses to run as root, so as root it runs as the user {@code postgres}.
 */
final class LocalPostgres implements AutoCloseable {
    private final Path bin;
    private final Path dir;
    private final int port;

    private LocalPostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /** The folder holding initdb, pg_ctl and postgres, if this machine has them. */
    static Optional<Path> binaries() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("DROVER_TEST_PG_BIN");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("/usr/local/bin"));
        candidates.add(Path.of("/usr/lib/postgresql"));
        for (Path c : candidates) {
            if (c.endsWith("postgresql") && Files.isDirectory(c)) {
                try (Stream<Path> versions = Files.list(c)) {
                    Optional<Path> best = versions.map(v -> v.resolve("bin"))
                            .filter(LocalPostgres::hasBinaries)
                            .max(Comparator.comparing(p -> p.getParent().getFileName().toString()));
                    if (best.isPresent()) {
                        return best;
                    }
                } catch (IOException e) {
                    // next candidate
                }
            } else if (hasBinaries(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private static boolean hasBinaries(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"))
                && Files.isExecutable(dir.resolve("postgres"));
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static LocalPostgres start(Path bin) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("drover-extpg-");
        int port = ChildServer.freePort();
        LocalPostgres pg = new LocalPostgres(bin, dir, port);
        if (runningAsRoot()) {
            run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        }
        pg.sh(bin.resolve("initdb") + " -D " + dir.resolve("data") + " -U postgres --auth=trust -E UTF8 --no-sync");
        Files.writeString(dir.resolve("data").resolve("postgresql.conf"), String.join("\n",
                "port = " + port,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + dir + "'",
                "max_connections = 300",
                "shared_buffers = 128MB",
                "fsync = on",
                "synchronous_commit = on",
                "timezone = 'UTC'",
                ""), java.nio.file.StandardOpenOption.APPEND);
        pg.pgCtl("start", "-w -t 120 -l " + dir.resolve("postgres.log"));
        return pg;
    }

    int port() {
        return port;
    }

    /** A new empty database (the server migrates it on start). */
    String createDatabase(String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return jdbcUrl(name);
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    /** An immediate stop (like a crash: recovery from WAL on the next start) and a start. */
    void restartImmediate() throws IOException, InterruptedException {
        pgCtl("stop", "-w -t 60 -m immediate");
        pgCtl("start", "-w -t 120 -l " + dir.resolve("postgres.log"));
    }

    void stopImmediate() throws IOException, InterruptedException {
        pgCtl("stop", "-w -t 60 -m immediate");
    }

    void startAgain() throws IOException, InterruptedException {
        pgCtl("start", "-w -t 120 -l " + dir.resolve("postgres.log"));
    }

    private void pgCtl(String action, String options) throws IOException, InterruptedException {
        sh(bin.resolve("pg_ctl") + " " + action + " -D " + dir.resolve("data") + " " + options);
    }

    private void sh(String command) throws IOException, InterruptedException {
        if (runningAsRoot()) {
            run(List.of("runuser", "-u", "postgres", "--", "sh", "-c", command));
        } else {
            run(List.of("sh", "-c", command));
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    @Override
    public void close() {
        try {
            pgCtl("stop", "-w -t 60 -m immediate");
        } catch (Exception e) {
            // already down
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
