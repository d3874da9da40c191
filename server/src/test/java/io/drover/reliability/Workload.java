package io.drover.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One crash scenario's load: a job with retries, N runs triggered in batches with idempotency keys
 * (a batch whose answer was lost to a crash is sent again and returns the same runs), workers that
 * execute and report them, and at the end a check of every run against the database: its terminal
 * state is the one its policy dictates, nothing is left behind, every attempt has exactly one
 * recorded outcome, no attempt was executed twice, and every re-execution is explained by an
 * expired lease recorded as {@code attempt_crashed}.
 */
final class Workload {
    static final String QUEUE = "crashq";
    static final int MAX_ATTEMPTS = 6;
    static final long LEASE_MS = 3_000;
    static final Set<String> TERMINAL = Set.of("completed", "failed", "timed_out", "crashed", "system_failed",
            "canceled", "expired", "dead_letter");
    static final Set<String> OUTCOMES = Set.of("completed", "attempt_failed", "attempt_crashed", "attempt_timed_out",
            "failed", "dead_lettered", "crashed", "timed_out");

    record Exec(String runId, int attempt, String worker) {}

    record Report(String runId, int attempt, String worker, boolean accepted) {}

    final String name;
    final String baseUrl;
    final int total;
    final String job;
    final Map<String, String> modeByKey = new HashMap<>();
    final Map<String, String> runByKey = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Exec> execs = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Report> reports = new ConcurrentLinkedQueue<>();
    final AtomicInteger executions = new AtomicInteger();
    final AtomicLong lastExecNanos = new AtomicLong();
    final List<Long> recoveryMs = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    int faults;
    volatile boolean stop;
    private final List<Thread> threads = new ArrayList<>();
    private final List<Process> workerProcesses = new ArrayList<>();
    private final List<Path> workerLogs = new ArrayList<>();
    private final long startNanos = System.nanoTime();

    Workload(String name, String baseUrl, int total, long seed) {
        this.name = name;
        this.baseUrl = baseUrl;
        this.total = total;
        this.job = "crash-" + name;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < total; i++) {
            int p = random.nextInt(100);
            String mode = p < 85 ? "ok" : p < 95 ? "flaky" : p < 98 ? "always" : "fatal";
            modeByKey.put("r" + i, mode);
        }
    }

    Api api() {
        return new Api(baseUrl, ChildServer.KEY);
    }

    void createJob() {
        var r = api().post("/v1/jobs", Map.of("slug", job, "queue", QUEUE, "max_attempts", MAX_ATTEMPTS,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 100, "jitter", false)));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    /** Triggers every run, 250 per batch, each batch repeated until the server answers it. */
    void startProducer() {
        threads.add(Thread.ofPlatform().name(name + "-producer").start(() -> {
            Api api = api();
            int batch = 250;
            for (int from = 0; from < total && !stop; from += batch) {
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int i = from; i < Math.min(total, from + batch); i++) {
                    runs.add(Map.of("idempotency_key", "r" + i, "payload", Map.of("mode", modeByKey.get("r" + i))));
                }
                while (!stop) {
                    try {
                        var r = api.post("/v1/jobs/" + job + "/trigger/batch", Map.of("runs", runs));
                        if (r.status() == 201 || r.status() == 200) {
                            for (JsonNode run : r.json().get("data")) {
                                runByKey.put(run.get("idempotency_key").asText(), run.get("id").asText());
                            }
                            break;
                        }
                    } catch (RuntimeException e) {
                        // server away: send the same batch again
                    }
                    sleep(200);
                }
            }
        }));
    }

    WorkerLoop.Sink sink() {
        return new WorkerLoop.Sink() {
            @Override
            public void executed(String runId, int attempt, String worker) {
                execs.add(new Exec(runId, attempt, worker));
                executions.incrementAndGet();
                lastExecNanos.set(System.nanoTime());
            }

            @Override
            public void reported(String runId, int attempt, String worker, boolean accepted) {
                reports.add(new Report(runId, attempt, worker, accepted));
            }
        };
    }

    void startThreadWorkers(int n) {
        for (int i = 0; i < n; i++) {
            WorkerLoop loop = new WorkerLoop(baseUrl, ChildServer.KEY, name + "-w" + i, QUEUE, 25, LEASE_MS, sink(),
                    () -> stop);
            threads.add(Thread.ofPlatform().name(name + "-w" + i).start(loop));
        }
    }

    /** A worker process (kill -9 able); its executions are read from its log file at the end. */
    Process startWorkerProcess(Path dir, int threads) throws IOException {
        int n = workerProcesses.size();
        Path log = dir.resolve("worker-" + n + ".lines");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), WorkerLoop.class.getName(), baseUrl, ChildServer.KEY,
                name + "-p" + n, QUEUE, Integer.toString(threads), log.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("worker-" + n + ".log").toFile()).start();
        workerProcesses.add(p);
        workerLogs.add(log);
        return p;
    }

    List<Process> workerProcesses() {
        return workerProcesses;
    }

    /** Executions seen so far, from threads and worker process files. */
    int progress() {
        int n = executions.get();
        for (Path log : workerLogs) {
            try {
                n += (int) (Files.size(log) / 60); // about 60 bytes per line, half of them executions
            } catch (IOException e) {
                // not yet written
            }
        }
        return n;
    }

    /** Waits until the executions seen reach {@code n}, or the deadline passes. */
    void awaitProgress(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (progress() < n && System.nanoTime() < deadline) {
            sleep(20);
        }
    }

    /** Time from {@code faultNanos} until a run is executed after it: the recovery time of one fault. */
    long recovery(long faultNanos, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = progress();
        while (System.nanoTime() < deadline) {
            if (progress() > seen && (executions.get() == 0 || lastExecNanos.get() > faultNanos)) {
                long ms = (System.nanoTime() - faultNanos) / 1_000_000;
                recoveryMs.add(ms);
                return ms;
            }
            sleep(10);
        }
        throw new AssertionError(name + ": no run executed within " + timeout + " of a fault");
    }

    /**
     * Waits until every triggered run is terminal (the recovery window), then stops the workers.
     * Returns how long the drain took after the producer finished.
     */
    long drain(String jdbcUrl, Duration window) throws Exception {
        threads.get(0).join(Duration.ofMinutes(5).toMillis());
        long t0 = System.nanoTime();
        long deadline = t0 + window.toNanos();
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
            while (System.nanoTime() < deadline) {
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM runs WHERE job_slug = ? "
                        + "AND status NOT IN ('completed','failed','timed_out','crashed','system_failed','canceled',"
                        + "'expired','dead_letter')")) {
                    ps.setString(1, job);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == 0 && runByKey.size() == total) {
                            break;
                        }
                    }
                }
                sleep(250);
            }
        }
        stopWorkers();
        return (System.nanoTime() - t0) / 1_000_000;
    }

    void stopWorkers() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(20_000);
        }
        for (Process p : workerProcesses) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        for (Path log : workerLogs) {
            try {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split(" ");
                    if (f[0].equals("E") && f.length == 4) {
                        execs.add(new Exec(f[1], Integer.parseInt(f[2]), f[3]));
                    } else if (f[0].equals("R") && f.length == 5) {
                        reports.add(new Report(f[1], Integer.parseInt(f[2]), f[3], Boolean.parseBoolean(f[4])));
                    }
                    // a line cut by SIGKILL is ignored: its run's attempt shows up as crashed
                }
            } catch (IOException e) {
                // no log: the process never executed anything
            }
        }
    }

    // ------------------------------------------------------------------------------ verification

    record Figures(String scenario, int runs, int faults, int lost, int stuck, int duplicates, int crashedAttempts,
            long maxRecoveryMs, long drainMs, long wallMs, String audit, List<String> problems) {
        String line() {
            return String.format("%-28s runs=%d faults=%d lost=%d stuck=%d duplicates=%d crashed_attempts=%d "
                    + "max_recovery_ms=%d drain_ms=%d wall_s=%d audit_chain=%s", scenario, runs, faults, lost, stuck,
                    duplicates, crashedAttempts, maxRecoveryMs, drainMs, wallMs / 1000, audit);
        }
    }

    /** The audit chain's own check, through the API: "ok/<rows>" or what is wrong. */
    String auditChain() {
        var r = api().get("/v1/audit-events/verify");
        if (r.status() != 200) {
            return "unverifiable(" + r.status() + ")";
        }
        return (r.json().path("ok").asBoolean() ? "ok/" : "BROKEN(first_bad_id=" + r.json().path("first_bad_id")
                .asText() + ")/") + r.json().path("rows_checked").asLong();
    }

    static String expected(String mode) {
        return switch (mode) {
            case "ok", "flaky" -> "completed";
            case "always" -> "dead_letter";
            default -> "failed";
        };
    }

    Figures verify(String jdbcUrl, long drainMs) throws SQLException {
        record Row(String id, String key, String status, int attempt) {}
        Map<String, Row> byKey = new HashMap<>();
        Map<String, Map<Integer, List<String>>> outcomes = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id::text, idempotency_key, status::text, attempt FROM runs WHERE job_slug = ?")) {
                ps.setString(1, job);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byKey.put(rs.getString(2), new Row(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getInt(4)));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT e.run_id::text, e.type, e.attempt FROM run_events e "
                    + "JOIN runs r ON r.id = e.run_id WHERE r.job_slug = ? ORDER BY e.seq")) {
                ps.setString(1, job);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (OUTCOMES.contains(rs.getString(2))) {
                            outcomes.computeIfAbsent(rs.getString(1), k -> new HashMap<>())
                                    .computeIfAbsent(rs.getInt(3), k -> new ArrayList<>()).add(rs.getString(2));
                        }
                    }
                }
            }
        }
        Map<String, Map<Integer, List<Exec>>> execsByRun = new HashMap<>();
        for (Exec e : execs) {
            execsByRun.computeIfAbsent(e.runId(), k -> new HashMap<>()).computeIfAbsent(e.attempt(),
                    k -> new ArrayList<>()).add(e);
        }
        List<String> problems = new ArrayList<>();
        int lost = 0;
        int stuck = 0;
        int duplicates = 0;
        int crashed = 0;
        for (var entry : modeByKey.entrySet()) {
            String key = entry.getKey();
            String mode = entry.getValue();
            Row row = byKey.get(key);
            if (row == null) {
                if (runByKey.containsKey(key)) {
                    lost++;
                    problems.add("lost: run " + runByKey.get(key) + " (" + key + ") was acknowledged but is gone");
                } else {
                    lost++;
                    problems.add("never triggered: " + key);
                }
                continue;
            }
            if (!TERMINAL.contains(row.status())) {
                stuck++;
                if (stuck <= 20) {
                    problems.add("stuck: run " + row.id() + " is " + row.status() + " after the recovery window");
                }
                continue;
            }
            Map<Integer, List<String>> byAttempt = outcomes.getOrDefault(row.id(), Map.of());
            boolean exhaustedByCrashes = row.attempt() == MAX_ATTEMPTS && "dead_letter".equals(row.status())
                    && byAttempt.getOrDefault(row.attempt(), List.of()).contains("dead_lettered")
                    && !mode.equals("always");
            if (!row.status().equals(expected(mode)) && !exhaustedByCrashes) {
                lost++;
                problems.add("wrong end: run " + row.id() + " (" + mode + ") is " + row.status() + ", policy says "
                        + expected(mode) + "; outcomes " + byAttempt);
            }
            for (int a = 1; a <= row.attempt(); a++) {
                List<String> o = byAttempt.getOrDefault(a, List.of());
                if (o.size() != 1) {
                    problems.add("run " + row.id() + " attempt " + a + " has outcomes " + o + " (want exactly one)");
                } else if (o.get(0).equals("attempt_crashed")) {
                    crashed++;
                }
            }
            for (var ex : execsByRun.getOrDefault(row.id(), Map.of()).entrySet()) {
                int a = ex.getKey();
                if (ex.getValue().size() > 1) {
                    problems.add("run " + row.id() + " attempt " + a + " executed " + ex.getValue().size()
                            + " times at once: " + ex.getValue());
                }
                if (a > row.attempt()) {
                    problems.add("run " + row.id() + " attempt " + a + " executed but the run only has " + row.attempt());
                    continue;
                }
                List<String> o = byAttempt.getOrDefault(a, List.of());
                if (o.contains("attempt_crashed")
                        || (o.contains("dead_lettered") && !WorkerLoop.succeeds(mode, a) && !mode.equals("always")
                                && !mode.equals("fatal"))) {
                    duplicates++; // executed, but its outcome was lost with a lease: explained by attempt_crashed
                }
            }
        }
        // a report the server accepted must be the outcome recorded for that attempt
        for (Report r : reports) {
            if (!r.accepted()) {
                continue;
            }
            Map<Integer, List<String>> byAttempt = outcomes.getOrDefault(r.runId(), Map.of());
            List<String> o = byAttempt.getOrDefault(r.attempt(), List.of());
            if (o.contains("attempt_crashed")) {
                problems.add("run " + r.runId() + " attempt " + r.attempt() + ": report by " + r.worker()
                        + " was accepted, yet the attempt is recorded as crashed " + byAttempt);
            }
        }
        long wall = (System.nanoTime() - startNanos) / 1_000_000;
        long maxRecovery = recoveryMs.stream().mapToLong(Long::longValue).max().orElse(0);
        String audit = auditChain();
        if (!audit.startsWith("ok/")) {
            problems.add("audit chain after the faults: " + audit);
        }
        return new Figures(name, total, faults, lost, stuck, duplicates, crashed, maxRecovery, drainMs, wall, audit,
                problems.size() > 50 ? problems.subList(0, 50) : problems);
    }

    static void record(Figures f) {
        String line = f.line();
        System.out.println("RELIABILITY " + line);
        try {
            Path out = Path.of("target", "reliability-figures.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // printing is enough
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
