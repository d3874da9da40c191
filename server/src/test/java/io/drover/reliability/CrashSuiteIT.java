package io.drover.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The crash suite: a Drover server in its own process under a load of runs with retries
 * ({@code -Ddrover.crash.runs}, default 20,000 per scenario) while faults are injected. Each
 * scenario checks every run against the database (see {@link Workload#verify}) and prints its
 * figures ({@code RELIABILITY ...} lines, also appended to target/reliability-figures.txt).
 * External-mode scenarios use the machine's PostgreSQL binaries ({@link LocalPostgres}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashSuiteIT {
    static final int RUNS = Integer.getInteger("drover.crash.runs", 20_000);
    static final Duration WINDOW = Duration.ofSeconds(120);
    static LocalPostgres pg;
    static String pgProblem;

    @BeforeAll
    static void externalPostgres() {
        var bin = LocalPostgres.binaries();
        if (bin.isEmpty()) {
            pgProblem = "no PostgreSQL binaries in /usr/local/bin or /usr/lib/postgresql/*/bin "
                    + "(apt-get install -y postgresql, or set DROVER_TEST_PG_BIN)";
            return;
        }
        try {
            pg = LocalPostgres.start(bin.get());
        } catch (Exception e) {
            pgProblem = "could not start the machine's PostgreSQL from " + bin.get() + ": " + e;
        }
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    static void requireExternal() {
        if (pg == null) {
            String banner = "\n" + "!".repeat(100) + "\n!!! SKIPPING EXTERNAL-MODE CRASH SCENARIO: " + pgProblem
                    + "\n" + "!".repeat(100) + "\n";
            System.err.println(banner);
            Assumptions.assumeTrue(false, banner);
        }
    }

    static Path tempDir(String name) throws Exception {
        return Files.createTempDirectory("drover-crash-" + name + "-");
    }

    static void check(Workload.Figures f) {
        Workload.record(f);
        assertThat(f.problems()).as(f.line()).isEmpty();
        assertThat(f.lost()).as("lost runs").isZero();
        assertThat(f.stuck()).as("stuck runs").isZero();
    }

    /** kill -9 of the server at three random moments, each followed by a restart on the same data. */
    private void serverKills(String scenario, String databaseUrl, long seed) throws Exception {
        Path dir = tempDir(scenario);
        try (ChildServer server = new ChildServer(scenario, dir, databaseUrl, Map.of()).start()) {
            Workload w = new Workload(scenario, server.baseUrl(), RUNS, seed);
            w.createJob();
            w.startProducer();
            w.startThreadWorkers(4);
            SplittableRandom random = new SplittableRandom(seed);
            for (int k = 0; k < 3; k++) {
                int at = (int) (RUNS * (0.10 + 0.27 * k + random.nextDouble() * 0.2));
                w.awaitProgress(at, Duration.ofMinutes(3));
                Workload.sleep(random.nextInt(200));
                long t = System.nanoTime();
                server.kill9();
                w.faults++;
                server.start();
                w.recovery(t, Duration.ofMinutes(2));
            }
            String jdbc = databaseUrl != null ? databaseUrl : server.embeddedJdbcUrl();
            long drain = w.drain(jdbc, WINDOW);
            check(w.verify(jdbc, drain));
        }
    }

    @Test
    @Order(1)
    void embeddedServerKilledThreeTimes() throws Exception {
        serverKills("embedded-server-kill9", null, 11);
    }

    @Test
    @Order(2)
    void externalServerKilledThreeTimes() throws Exception {
        requireExternal();
        serverKills("external-server-kill9", pg.createDatabase("server_kill9"), 12);
    }

    @Test
    @Order(3)
    void workersKilledMidRun() throws Exception {
        requireExternal();
        String url = pg.createDatabase("worker_kill9");
        Path dir = tempDir("workers");
        try (ChildServer server = new ChildServer("worker-kill9", dir, url, Map.of()).start()) {
            Workload w = new Workload("worker-kill9", server.baseUrl(), RUNS, 13);
            w.createJob();
            w.startProducer();
            w.startWorkerProcess(dir, 3);
            w.startWorkerProcess(dir, 3);
            SplittableRandom random = new SplittableRandom(13);
            for (int k = 0; k < 3; k++) {
                int at = (int) (RUNS * (0.10 + 0.25 * k + random.nextDouble() * 0.15));
                w.awaitProgress(at, Duration.ofMinutes(3));
                var procs = w.workerProcesses();
                Process victim = procs.get(procs.size() - 2 + random.nextInt(2));
                int index = procs.indexOf(victim);
                long t = System.nanoTime();
                victim.destroyForcibly(); // SIGKILL, in the middle of its batches
                victim.waitFor();
                w.faults++;
                w.startWorkerProcess(dir, 3);
                // recovered when no run is still held by the dead worker: its leases expired and were reaped
                try (Connection c = pg.connect("worker_kill9");
                        PreparedStatement ps = c.prepareStatement(
                                "SELECT count(*) FROM runs WHERE worker_id LIKE ? AND status = 'executing'")) {
                    ps.setString(1, "worker-kill9-p" + index + "-%");
                    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                    while (true) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (rs.getLong(1) == 0) {
                                break;
                            }
                        }
                        assertThat(System.nanoTime()).as("the dead worker's runs are reaped").isLessThan(deadline);
                        Workload.sleep(50);
                    }
                }
                w.recoveryMs.add((System.nanoTime() - t) / 1_000_000);
            }
            long drain = w.drain(url, WINDOW);
            check(w.verify(url, drain));
        }
    }

    @Test
    @Order(4)
    void postgresRestartedAndPoolConnectionsTerminated() throws Exception {
        requireExternal();
        String url = pg.createDatabase("pg_restart");
        Path dir = tempDir("pgrestart");
        try (ChildServer server = new ChildServer("pg-restart", dir, url, Map.of()).start()) {
            Workload w = new Workload("postgres-restart", server.baseUrl(), RUNS, 14);
            w.createJob();
            w.startProducer();
            w.startThreadWorkers(4);
            SplittableRandom random = new SplittableRandom(14);
            String[] faults = {"restart", "terminate", "terminate", "restart"};
            for (int k = 0; k < faults.length; k++) {
                int at = (int) (RUNS * (0.08 + 0.2 * k + random.nextDouble() * 0.1));
                w.awaitProgress(at, Duration.ofMinutes(3));
                long t = System.nanoTime();
                if (faults[k].equals("restart")) {
                    pg.restartImmediate(); // like a crash of PostgreSQL: WAL recovery on start
                } else {
                    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    + "WHERE datname = 'pg_restart' AND application_name = 'drover'")) {
                        rs.next();
                        w.notes.add("terminated " + rs.getLong(1) + " pool connections");
                    }
                }
                w.faults++;
                w.recovery(t, Duration.ofMinutes(2));
                assertThat(server.alive()).as("the server survives the database going away").isTrue();
            }
            long drain = w.drain(url, WINDOW);
            Workload.Figures f = w.verify(url, drain);
            System.out.println("RELIABILITY notes " + w.notes);
            check(f);
        }
    }

    @Test
    @Order(5)
    void longTransactionHoldsBackTheXminHorizonForTheWholeRun() throws Exception {
        requireExternal();
        String url = pg.createDatabase("xmin_horizon");
        Path dir = tempDir("xmin");
        try (Connection holder = pg.connect("xmin_horizon");
                ChildServer server = new ChildServer("xmin", dir, url, Map.of()).start()) {
            holder.setAutoCommit(false);
            holder.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT txid_current(), count(*) FROM runs").close(); // snapshot and xid held
            }
            Workload w = new Workload("xmin-horizon", server.baseUrl(), RUNS, 15);
            w.createJob();
            w.startProducer();
            w.startThreadWorkers(4);
            long drain = w.drain(url, WINDOW);
            try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = 'xmin_horizon' "
                            + "AND backend_xmin IS NOT NULL AND state = 'idle in transaction'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the long transaction held the horizon to the end").isPositive();
            }
            try (Connection c = pg.connect("xmin_horizon"); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'runs'")) {
                if (rs.next()) {
                    w.notes.add("dead tuples in runs kept by the horizon: " + rs.getLong(1));
                }
            }
            Workload.Figures f = w.verify(url, drain);
            System.out.println("RELIABILITY notes " + w.notes);
            check(f);
            holder.rollback();
        }
    }
}
