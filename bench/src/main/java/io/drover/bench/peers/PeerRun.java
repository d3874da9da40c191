package io.drover.bench.peers;

import io.drover.bench.CpuMeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVM of one contender: runs the workloads the parent asks for on its stdin (see
 * {@link #main}), each on a fresh database of the parent's embedded PostgreSQL, and prints its
 * figures as {@code RESULT key value} lines on stdout (progress goes to stderr). Its own peak RSS
 * (VmHWM) is the contender's.
 * <p>Arguments: contender port jobs runs deep drain threads rate seconds batch warmup timeoutMinutes
 */
public final class PeerRun {
    private final String name;
    private final int port;
    private final int jobs;
    private final int runs;
    private final int deep;
    private final int drain;
    private final int threads;
    private final int rate;
    private final int seconds;
    private final int batch;
    private final int warmup;
    private final Duration timeout;
    private int dbCounter;
    /** The shared embedded PostgreSQL's data folder (the parent passes it) for its CPU time. */
    private final CpuMeter cpu = new CpuMeter(Path.of(System.getProperty("peers.pgdata", "/nonexistent")));

    private PeerRun(String[] a) {
        name = a[0];
        port = Integer.parseInt(a[1]);
        jobs = Integer.parseInt(a[2]);
        runs = Integer.parseInt(a[3]);
        deep = Integer.parseInt(a[4]);
        drain = Integer.parseInt(a[5]);
        threads = Integer.parseInt(a[6]);
        rate = Integer.parseInt(a[7]);
        seconds = Integer.parseInt(a[8]);
        batch = Integer.parseInt(a[9]);
        warmup = Integer.parseInt(a[10]);
        timeout = Duration.ofMinutes(Integer.parseInt(a[11]));
    }

    /** What the child prints on stdout when it has finished a command. */
    static final String DONE = "PHASE_DONE";

    /**
     * Reads commands from stdin, one per line, and answers each with its RESULT lines and then
     * {@link #DONE}: {@code warmup}, {@code e2e N} (the N-th timed end-to-end run), {@code rest}
     * (every other workload) and {@code exit}. The parent decides the order, so that it can
     * interleave the contenders' end-to-end runs (see {@link Peers}); between commands no
     * contender is running in this JVM (each workload starts and closes its own).
     */
    public static void main(String[] args) throws Exception {
        PeerRun r = new PeerRun(args);
        List<String> only = args.length > 12 ? Arrays.asList(args[12].split(",")) : List.of("e2e", "latency", "shallow", "deep", "held");
        try {
            Contender.named(r.name).settings(r.threads).forEach((k, v) -> emit("setting." + k, v));
        } catch (RuntimeException e) {
            e.printStackTrace();
            emit("error", String.valueOf(e).replace('\n', ' ')); // an unknown contender: every command fails the same way
        }
        java.io.BufferedReader commands = new java.io.BufferedReader(
                new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        String command;
        while ((command = commands.readLine()) != null && !command.equals("exit")) {
            try {
                r.phase(command.strip(), only);
            } catch (Throwable t) {
                t.printStackTrace();
                emit("error", String.valueOf(t).replace('\n', ' '));
            }
            System.out.println(DONE);
            System.out.flush();
        }
        emit("rss_kb", vmHwmKb());
        System.out.flush();
        System.exit(0); // some libraries leave non-daemon threads behind
    }

    private void phase(String command, List<String> only) throws Exception {
        if (command.equals("warmup")) {
            if (warmup > 0) {
                warmUp();
            }
        } else if (command.startsWith("e2e ")) {
            int i = Integer.parseInt(command.substring(4));
            String key = "e2e." + i;
            guarded(key, () -> endToEnd(jobs, false, key));
        } else if (command.equals("rest")) {
            runRest(only);
        } else {
            throw new IllegalArgumentException("unknown command " + command);
        }
    }

    /** Every workload but the warm-up and the timed end-to-end runs, in one stretch. */
    private void runRest(List<String> only) throws Exception {
        if (only.contains("latency")) {
            for (int i = 1; i <= runs; i++) {
                String key = "latency." + i;
                guarded(key, () -> latency(key));
            }
            summarize("latency", List.of("p50", "p95", "p99", "max"));
        }
        // Shallow and deep alternate, so that both see the same machine; one run of each proved too
        // noisy for their ratio (a quiet-machine run gave shallow 12,038 once and 6,569 another time).
        for (int i = 1; i <= runs; i++) {
            String shallowKey = "shallow." + i;
            String deepKey = "deep." + i;
            if (only.contains("shallow")) {
                guarded(shallowKey, () -> drain(drain, shallowKey));
            }
            if (only.contains("deep")) {
                guarded(deepKey, () -> drain(deep, deepKey));
            }
        }
        for (String kind : List.of("shallow", "deep")) {
            if (only.contains(kind)) {
                summarize(kind, List.of("rate", "enqueue_rate"));
            }
        }
        if (only.contains("shallow")) {
            // The shallow backlog is drained completely, so its runs can be checked for exactly once
            // (a deep drain stops timing at the first `drain` completions while workers go on).
            boolean allRan = true;
            for (int i = 1; i <= runs; i++) {
                allRan &= java.util.Objects.equals(EMITTED.get("shallow." + i + ".jobs"),
                        EMITTED.get("shallow." + i + ".executed"));
            }
            emit("shallow.jobs", drain);
            emit("shallow.executed", allRan ? drain : -1);
        }
        if (only.contains("held")) {
            for (int i = 1; i <= runs; i++) {
                String key = "held." + i;
                guarded(key, () -> endToEnd(jobs, true, key));
            }
            summarize("held", List.of("rate", "cpu_ms_per_job"));
            boolean allRan = true;
            for (int i = 1; i <= runs; i++) {
                allRan &= String.valueOf(jobs).equals(EMITTED.get("held." + i + ".executed"));
            }
            emit("held.jobs", jobs);
            emit("held.executed", allRan ? jobs : -1);
        }
    }

    /** Warm-up rounds at most; see {@link #warmUp}. */
    static final int WARMUP_ROUNDS_MAX = 8;

    /** How many rounds in a row must each change the JVM CPU per job by less than 5%. */
    static final int WARMUP_SETTLED_ROUNDS = 2;

    /**
     * Uncounted end-to-end rounds of {@code warmup} jobs until the contender's JVM has settled:
     * until two rounds in a row each have a JVM CPU per job less than 5% below the round before
     * (at least three rounds, at most {@link #WARMUP_ROUNDS_MAX}). One fixed round was not enough:
     * Drover's JVM CPU per job still fell from 0.099 to 0.056 ms over the three timed end-to-end
     * runs after 100,000 warm-up jobs, and reached 0.033 ms in the held-horizon runs at the end;
     * db-scheduler's fell too (0.082 to 0.065 ms). One settled round was not enough either: a full
     * run of the fifth round stopped Drover's warm-up at 0.047 -> 0.045 ms, and its timed runs went
     * on falling (0.038-0.042 ms end to end, 0.026-0.030 in the held-horizon runs at the end).
     * Rounds of 100,000 jobs were not enough (seventh round): Drover's rounds settled at 0.028-0.029 ms
     * by this rule, its timed runs ran at 0.028-0.031, and its held-horizon runs at the end of the
     * same full run, after ~3.5 million more jobs, at 0.020-0.022; rounds of 400,000 (the default
     * since) settle at 0.020-0.021 (db-scheduler's JVM had settled at 100,000: 0.047-0.051 ms timed,
     * 0.053-0.055 held). The same rule and round size for every contender (the --scale factor of a
     * slow peer scales its rounds too); each one's rounds are in its settings.
     * Whatever runs first gets a warm JIT, also with --only latency (a cold JVM cannot keep up with 200/s).
     */
    private void warmUp() {
        List<String> perRound = new ArrayList<>();
        double previous = Double.MAX_VALUE;
        int settled = 0;
        for (int round = 1; round <= WARMUP_ROUNDS_MAX; round++) {
            String key = "warmup." + round;
            log("warm-up round %d, %,d jobs (not counted)", round, warmup);
            guarded(key, () -> endToEnd(warmup, false, key));
            String jvm = EMITTED.get(key + ".jvm_ms_per_job");
            if (jvm == null) {
                break; // the round failed; guarded() reported it
            }
            double now = Double.parseDouble(jvm);
            perRound.add(String.format(java.util.Locale.ROOT, "%.3f", now));
            settled = now > previous * 0.95 ? settled + 1 : 0;
            if (settled >= WARMUP_SETTLED_ROUNDS) {
                break;
            }
            previous = now;
        }
        emit("setting.warm-up", perRound.size() + " rounds of " + warmup
                + " jobs until JVM CPU per job fell by less than 5% in two rounds in a row (ms per job by round: "
                + String.join(", ", perRound) + ")");
    }

    interface Step {
        void run() throws Exception;
    }

    /** A workload that fails (or times out) is reported and the next one still runs. */
    private void guarded(String key, Step step) {
        try {
            step.run();
        } catch (Throwable t) {
            t.printStackTrace();
            emit(key + ".error", String.valueOf(t).replace('\n', ' '));
        }
    }

    /** Jobs enqueued in batches while the workers run: first enqueue to last durable completion. */
    private void endToEnd(int n, boolean holdHorizon, String key) throws Exception {
        String db = freshDatabase();
        Contender.Sink sink = new Contender.Sink(false);
        Contender.Sink.current = sink;
        Connection held = null;
        try (Contender c = Contender.named(name); Connection mon = connect(db)) {
            c.init(url(db), threads, sink);
            c.startWorkers();
            Thread.sleep(1000);
            if (holdHorizon) {
                held = connect(db);
                held.setAutoCommit(false);
                try (Statement s = held.createStatement()) {
                    s.execute("SELECT txid_current()"); // an xid that stays open: VACUUM cannot remove what dies after it
                }
            }
            CpuMeter.Sample cpu0 = cpu.sample();
            long t0 = System.nanoTime();
            enqueueAll(c, n);
            long tEnq = System.nanoTime();
            long t1 = waitDone(c, mon, sink, n, n, key);
            CpuMeter.Usage used = CpuMeter.between(cpu0, cpu.sample());
            // Load-independent: what the contender (its JVM and PostgreSQL) spent per job.
            emit(key + ".cpu_ms_per_job", (used.jvm() + used.postgres()) * used.seconds() * 1000 / n);
            emit(key + ".other_cores", used.others());
            emit(key + ".jvm_ms_per_job", used.jvm() * used.seconds() * 1000 / n);
            emit(key + ".pg_ms_per_job", used.postgres() * used.seconds() * 1000 / n);
            double secs = (t1 - t0) / 1e9;
            Thread.sleep(1000); // would any job run twice?
            long executed = sink.executed.get();
            emit(key + ".jobs", n);
            emit(key + ".seconds", secs);
            emit(key + ".rate", n / secs);
            emit(key + ".enqueue_seconds", (tEnq - t0) / 1e9);
            emit(key + ".executed", executed);
            emit(key + ".done", c.done(mon, n));
            emit(key + ".load", load());
            log("%s: %,d jobs in %.2f s = %,.0f jobs/s (executed %,d; load %s; CPU per job: JVM %.3f ms, PostgreSQL %.3f ms; other processes %.2f cores)",
                    key, n, secs, n / secs, executed, load(), used.jvm() * used.seconds() * 1000 / n,
                    used.postgres() * used.seconds() * 1000 / n, used.others());
        } finally {
            if (held != null) {
                held.rollback();
                held.close();
            }
            dropDatabase(db);
        }
    }

    /**
     * A backlog of {@code backlog} jobs enqueued with no worker running (timed: enqueue throughput
     * alone), then the workers start and the first {@code drain} completions are timed.
     */
    private void drain(int backlog, String key) throws Exception {
        String db = freshDatabase();
        Contender.Sink sink = new Contender.Sink(false);
        Contender.Sink.current = sink;
        int n = Math.min(drain, backlog);
        try (Contender c = Contender.named(name); Connection mon = connect(db)) {
            c.init(url(db), threads, sink);
            long e0 = System.nanoTime();
            enqueueAll(c, backlog);
            double enqSecs = (System.nanoTime() - e0) / 1e9;
            emit(key + ".backlog", backlog);
            emit(key + ".enqueue_rate", backlog / enqSecs);
            emit(key + ".enqueue_load", load());
            log("%s: enqueued %,d jobs with no worker in %.2f s = %,.0f jobs/s", key, backlog, enqSecs, backlog / enqSecs);
            try (Statement s = mon.createStatement()) {
                s.execute("VACUUM ANALYZE"); // as autovacuum would have by now: the same start for everyone
            }
            long t0 = System.nanoTime();
            c.startWorkers();
            long t1 = waitDone(c, mon, sink, n, backlog, key);
            double secs = (t1 - t0) / 1e9;
            emit(key + ".jobs", n);
            emit(key + ".rate", n / secs);
            emit(key + ".executed", sink.executed.get());
            emit(key + ".load", load());
            log("%s: first %,d of %,d completed in %.2f s = %,.0f jobs/s (load %s)", key, n, backlog, secs, n / secs, load());
        } finally {
            dropDatabase(db);
        }
    }

    /** Single enqueues at a fixed rate while the workers wait; enqueue call start -> handler start. */
    private void latency(String key) throws Exception {
        String db = freshDatabase();
        Contender.Sink sink = new Contender.Sink(true);
        Contender.Sink.current = sink;
        int warm = 2;
        try (Contender c = Contender.named(name); Connection mon = connect(db)) {
            c.init(url(db), threads, sink);
            c.startWorkers();
            Thread.sleep(2000);
            ExecutorService senders = Executors.newFixedThreadPool(8);
            long period = 1_000_000_000L / rate;
            int total = rate * (seconds + warm);
            long start = System.nanoTime();
            long countFrom = start + warm * 1_000_000_000L;
            int late = 0;
            List<Future<?>> fs = new ArrayList<>();
            List<Long> sentAt = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                long at = start + i * period;
                sentAt.add(at);
                long wait = at - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } else if (wait < -period) {
                    late++;
                }
                fs.add(senders.submit(() -> {
                    c.enqueue(List.of(at));
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            senders.shutdown();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (sink.executed.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            List<Double> ms = new ArrayList<>();
            java.util.Set<Long> ranAt = new java.util.HashSet<>();
            for (long[] pl : sink.latencies) {
                ranAt.add(pl[0]);
                if (pl[0] >= countFrom) {
                    ms.add(pl[1] / 1e6);
                }
            }
            long missing = 0;
            for (long t : sentAt) {
                if (t >= countFrom && !ranAt.contains(t)) {
                    missing++;
                    ms.add(Double.POSITIVE_INFINITY); // never started within the wait: worse than any figure
                }
            }
            ms.sort(null);
            emit(key + ".not_started", missing);
            emit(key + ".count", ms.size());
            emit(key + ".late_sends", late);
            emit(key + ".executed", sink.executed.get());
            emit(key + ".sent", total);
            for (double q : new double[] {50, 95, 99}) {
                emit(key + ".p" + (int) q, pct(ms, q));
            }
            emit(key + ".max", ms.isEmpty() ? Double.NaN : ms.get(ms.size() - 1));
            emit(key + ".load", load());
            log(key + ": p50 %.2f p95 %.2f p99 %.2f ms over %,d jobs (load %s)", pct(ms, 50), pct(ms, 95), pct(ms, 99),
                    ms.size(), load());
        } finally {
            dropDatabase(db);
        }
    }

    private static double pct(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private void enqueueAll(Contender c, int n) throws Exception {
        List<List<Long>> batches = new ArrayList<>();
        for (int from = 0; from < n; from += batch) {
            List<Long> b = new ArrayList<>();
            for (long i = from; i < Math.min(n, from + batch); i++) {
                b.add(i);
            }
            batches.add(b);
        }
        int senders = 2;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < senders; t++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < batches.size()) {
                    c.enqueue(batches.get(i));
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    /** Waits until {@code n} jobs have run and the database holds {@code n} durable completions. */
    private long waitDone(Contender c, Connection mon, Contender.Sink sink, long n, long enqueued, String key)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sink.executed.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(key + ": only " + sink.executed.get() + " of " + n + " jobs ran within " + timeout);
            }
            Thread.sleep(2);
        }
        while (c.done(mon, enqueued) < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(key + ": completions not recorded within " + timeout);
            }
            Thread.sleep(10);
        }
        return System.nanoTime();
    }

    private String freshDatabase() throws Exception {
        String db = "peers_" + name.replace('-', '_') + "_" + ProcessHandle.current().pid() + "_" + (++dbCounter);
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + db);
        }
        return db;
    }

    private void dropDatabase(String db) {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        } catch (Exception e) {
            log("could not drop %s: %s", db, e);
        }
    }

    private String url(String db) {
        return "jdbc:postgresql://localhost:" + port + "/" + db;
    }

    private Connection connect(String db) throws Exception {
        return DriverManager.getConnection(url(db), "postgres", "");
    }

    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    static long vmHwmKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** Everything emitted so far, for the medians over repeated runs. */
    private static final Map<String, String> EMITTED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Emits {@code prefix.figure} as the median of {@code prefix.1.figure .. prefix.runs.figure},
     * and {@code prefix.load} as the last run's load.
     */
    private void summarize(String prefix, List<String> figures) {
        for (String figure : figures) {
            List<Double> values = new ArrayList<>();
            for (int i = 1; i <= runs; i++) {
                String v = EMITTED.get(prefix + "." + i + "." + figure);
                if (v != null) {
                    values.add(Double.parseDouble(v));
                }
            }
            if (!values.isEmpty()) {
                values.sort(null);
                int n = values.size();
                emit(prefix + "." + figure, n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2);
            }
        }
        for (int i = runs; i >= 1; i--) {
            String load = EMITTED.get(prefix + "." + i + ".load");
            if (load != null) {
                emit(prefix + ".load", load);
                break;
            }
        }
    }

    static synchronized void emit(String key, Object value) {
        EMITTED.put(key, String.valueOf(value));
        System.out.println("RESULT\t" + key + "\t" + value);
        System.out.flush();
    }

    private void log(String fmt, Object... args) {
        System.err.println("peers[" + name + "]: " + String.format(fmt, args));
    }

}
