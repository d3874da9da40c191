package io.drover.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.ClaimRequest;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Outcome;
import io.drover.client.OutcomeResult;
import io.drover.client.Run;
import io.drover.client.TriggerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The workflow benchmark behind {@code ./bench/workflows} (issue 14): what a workflow costs on top of
 * the same work done as plain runs, measured from outside over HTTP against one Drover node on the
 * embedded PostgreSQL with production durability ({@link Harness}).
 *
 * <ul>
 *   <li>Fan-out: a workflow {@code root -> 400 parallel no-op steps -> join}, drained by 4 worker
 *   threads that each long-poll {@code POST /v1/worker/claim} (up to 100 runs) and report the batch
 *   with one {@code POST /v1/worker/complete}; timed from the trigger request to the completion
 *   answer for the join step (which settles the workflow run in the same transaction). Against it:
 *   400 plain runs triggered with one {@code /trigger/batch}, drained by the same workers, timed from
 *   the trigger request to the last completion answer. Ratio = plain time / fan-out time.</li>
 *   <li>Chain: a 40-step chain (each step depends on the one before) driven by one long-polling
 *   worker, against 40 sequential cycles of trigger (one {@code /trigger} from the benchmark's
 *   driver thread) -> claim -> complete of a plain run with the same worker. Ratio = chain time /
 *   plain time.</li>
 * </ul>
 *
 * Each comparison runs warm-up rounds (not counted), then N rounds alternating which of the two goes
 * first. Every wait is bounded; a round that does not finish in time stops the benchmark with an
 * error that says what was missing. Writes a table to stdout and to {@code bench/results/workflows-latest.md}.
 */
public final class Workflows {
    static final String FAN_QUEUE = "wf-fan";
    static final String CHAIN_QUEUE = "wf-chain";

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench/workflows: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(Options.HELP);
            return;
        }
        watchdog(o.maxMinutes, Thread.currentThread());
        try {
            run(o);
        } catch (BenchFailure e) {
            System.err.println("bench/workflows: FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * The last guard against a hang that no bounded wait caught (a stuck start of PostgreSQL, say):
     * after {@code minutes} the benchmark prints where the main thread is and exits with status 1;
     * the shutdown hooks stop PostgreSQL and delete the temporary folder.
     */
    private static void watchdog(int minutes, Thread main) {
        Thread.ofPlatform().daemon().name("bench-watchdog").start(() -> {
            try {
                Thread.sleep(Duration.ofMinutes(minutes));
            } catch (InterruptedException e) {
                return;
            }
            StringBuilder where = new StringBuilder();
            for (StackTraceElement e : main.getStackTrace()) {
                where.append("\n    at ").append(e);
            }
            System.err.println("bench/workflows: FAILED: still running after " + minutes + " min (--max-minutes); "
                    + "the main thread is" + where);
            System.exit(1);
        });
    }

    static void run(Options o) throws Exception {
        WorkflowReport report = new WorkflowReport(o, ZonedDateTime.now(ZoneOffset.UTC), CpuMeter.loadAverage());
        System.err.println("bench/workflows: load average before start (1, 5, 15 min): "
                + CpuMeter.formatLoad(report.loadAtStart));
        try (Harness h = Harness.start()) {
            report.machine = Machine.describe(h);
            report.commit = h.commitLatency();
            System.err.printf("bench/workflows: durable commit of a one-row INSERT: p50 %.2f ms, p99 %.2f ms%n",
                    report.commit.p50(), report.commit.p99());
            CpuMeter meter = new CpuMeter(h.pgDataDir());
            if (o.only.contains("f")) {
                CpuMeter.Sample a = meter.sample();
                report.fan = fanOut(h, o);
                report.fanCpu = CpuMeter.between(a, meter.sample());
            }
            if (o.only.contains("c")) {
                CpuMeter.Sample a = meter.sample();
                report.chain = chain(h, o);
                report.chainCpu = CpuMeter.between(a, meter.sample());
            }
        }
        report.loadAtEnd = CpuMeter.loadAverage();
        String table = report.summaryTable();
        System.out.println();
        System.out.println(table);
        Path out = o.out.isAbsolute() ? o.out : o.root.resolve(o.out);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report.markdown());
        System.err.println("bench/workflows: wrote " + out);
    }

    // ------------------------------------------------------------------------------ fan-out

    /** One timed round: wall time and the moments that explain it, in ms from the trigger request. */
    record Round(String kind, double ms, Map<String, Double> marks) {}

    /** The rounds of one comparison; {@code a} is the workflow, {@code b} the plain runs. */
    record Comparison(List<Round> a, List<Round> b, long totalRuns, String verification,
                      List<Bench.Statement> statements) {
        /** Per-round-pair ratios, in round order. */
        double[] ratios(boolean plainOverWorkflow) {
            double[] r = new double[a.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = plainOverWorkflow ? b.get(i).ms() / a.get(i).ms() : a.get(i).ms() / b.get(i).ms();
            }
            return r;
        }
    }

    static Comparison fanOut(Harness h, Options o) throws Exception {
        try (Harness.Node node = h.node("wf_fanout")) {
            node.client.createJob(Map.of("slug", "noop-fan", "queue", FAN_QUEUE, "max_attempts", 1));
            List<Object> steps = new ArrayList<>();
            List<String> branches = new ArrayList<>();
            steps.add(Map.of("id", "root", "job", "noop-fan"));
            for (int i = 0; i < o.width; i++) {
                steps.add(Map.of("id", "f" + i, "job", "noop-fan", "depends_on", List.of("root")));
                branches.add("f" + i);
            }
            steps.add(Map.of("id", "join", "job", "noop-fan", "depends_on", branches));
            node.client.send("POST", "/v1/workflows", Map.of("slug", "fan", "steps", steps));

            List<Claimer> workers = new ArrayList<>();
            try {
                for (int w = 0; w < o.workers; w++) {
                    workers.add(Claimer.start(node, "fan-worker-" + w, FAN_QUEUE, o.claimMax, o.waitMs));
                }
                List<Round> fan = new ArrayList<>();
                List<Round> plain = new ArrayList<>();
                int total = o.warmup + o.rounds;
                for (int i = 0; i < total; i++) {
                    boolean counted = i >= o.warmup;
                    if (i == o.warmup) {
                        node.resetStatements(); // the hot statements of the counted rounds only
                    }
                    boolean fanFirst = i % 2 == 1;
                    for (int k = 0; k < 2; k++) {
                        boolean doFan = (k == 0) == fanFirst;
                        Round r = doFan ? fanRound(node, o, workers) : plainBatchRound(node, o, workers);
                        System.err.printf("bench/workflows: fan-out %s %d of %d: %-8s %8.1f ms  %s%n",
                                counted ? "round" : "warm-up", counted ? i - o.warmup + 1 : i + 1,
                                counted ? o.rounds : o.warmup, r.kind(), r.ms(), marks(r));
                        if (counted) {
                            (doFan ? fan : plain).add(r);
                        }
                    }
                }
                long expected = (long) total * (o.width + 2 + o.width);
                List<Bench.Statement> statements = node.topStatements(10);
                return new Comparison(fan, plain, expected, verify(node, expected, total), statements);
            } finally {
                stopAll(workers);
            }
        }
    }

    private static Round fanRound(Harness.Node node, Options o, List<Claimer> workers) throws Exception {
        int expected = o.width + 2;
        Tally t = new Tally(expected);
        awaitParked(workers);
        workers.forEach(w -> w.tally.set(t));
        long t0 = System.nanoTime();
        t.start = t0;
        JsonNode wr = node.client.send("POST", "/v1/workflows/fan/trigger", Map.of("input", Map.of()));
        double answered = t.ms(System.nanoTime());
        String runId = wr.path("id").asText();
        t.await(o.roundTimeout, "fan-out workflow run " + runId);
        JsonNode done = node.client.send("GET", "/v1/workflow-runs/" + runId, null);
        if (!"completed".equals(done.path("status").asText())) {
            throw new BenchFailure("workflow run " + runId + " is " + done.path("status").asText()
                    + " after its join step's run was completed; expected completed");
        }
        long settled = 0;
        for (JsonNode s : done.path("steps")) {
            if ("completed".equals(s.path("status").asText())) {
                settled++;
            }
        }
        if (settled != expected) {
            throw new BenchFailure("workflow run " + runId + " has " + settled + " completed steps of " + expected);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("trigger answered", answered);
        Times root = t.byStep("root");
        Times join = t.byStep("join");
        m.put("root claimed", t.ms(root.claimed));
        m.put("root done", t.ms(root.done));
        m.put("first branch claimed", t.ms(t.min(true, s -> s.startsWith("f"))));
        m.put("last branch done", t.ms(t.max(false, s -> s.startsWith("f"))));
        m.put("join claimed", t.ms(join.claimed));
        m.put("join done", t.ms(join.done));
        t.batchMarks(m);
        return new Round("fan-out", t.ms(join.done), m);
    }

    private static Round plainBatchRound(Harness.Node node, Options o, List<Claimer> workers) throws Exception {
        Tally t = new Tally(o.width);
        List<TriggerRequest> batch = new ArrayList<>(o.width);
        for (int i = 0; i < o.width; i++) {
            batch.add(TriggerRequest.of(Map.of("i", i)));
        }
        awaitParked(workers);
        workers.forEach(w -> w.tally.set(t));
        long t0 = System.nanoTime();
        t.start = t0;
        node.client.triggerBatchIds("noop-fan", batch);
        double answered = t.ms(System.nanoTime());
        t.await(o.roundTimeout, o.width + " plain runs");
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("trigger answered", answered);
        m.put("first claimed", t.ms(t.min(true, s -> true)));
        m.put("last done", t.ms(t.max(false, s -> true)));
        t.batchMarks(m);
        return new Round("plain", t.ms(t.max(false, s -> true)), m);
    }

    // ------------------------------------------------------------------------------ chain

    static Comparison chain(Harness h, Options o) throws Exception {
        try (Harness.Node node = h.node("wf_chain")) {
            node.client.createJob(Map.of("slug", "noop-chain", "queue", CHAIN_QUEUE, "max_attempts", 1));
            List<Object> steps = new ArrayList<>();
            for (int i = 0; i < o.length; i++) {
                steps.add(i == 0 ? Map.of("id", "s0", "job", "noop-chain")
                        : Map.of("id", "s" + i, "job", "noop-chain", "depends_on", List.of("s" + (i - 1))));
            }
            node.client.send("POST", "/v1/workflows", Map.of("slug", "chain", "steps", steps));
            List<Claimer> workers = new ArrayList<>();
            try {
                workers.add(Claimer.start(node, "chain-worker", CHAIN_QUEUE, o.claimMax, o.waitMs));
                List<Round> chain = new ArrayList<>();
                List<Round> plain = new ArrayList<>();
                int total = o.warmup + o.rounds;
                for (int i = 0; i < total; i++) {
                    boolean counted = i >= o.warmup;
                    if (i == o.warmup) {
                        node.resetStatements();
                    }
                    boolean chainFirst = i % 2 == 1;
                    for (int k = 0; k < 2; k++) {
                        boolean doChain = (k == 0) == chainFirst;
                        Round r = doChain ? chainRound(node, o, workers) : plainSequentialRound(node, o, workers);
                        System.err.printf("bench/workflows: chain %s %d of %d: %-8s %8.1f ms  %s%n",
                                counted ? "round" : "warm-up", counted ? i - o.warmup + 1 : i + 1,
                                counted ? o.rounds : o.warmup, r.kind(), r.ms(), marks(r));
                        if (counted) {
                            (doChain ? chain : plain).add(r);
                        }
                    }
                }
                long expected = (long) total * 2 * o.length;
                List<Bench.Statement> statements = node.topStatements(10);
                return new Comparison(chain, plain, expected, verify(node, expected, total), statements);
            } finally {
                stopAll(workers);
            }
        }
    }

    private static Round chainRound(Harness.Node node, Options o, List<Claimer> workers) throws Exception {
        Tally t = new Tally(o.length);
        awaitParked(workers);
        workers.forEach(w -> w.tally.set(t));
        long t0 = System.nanoTime();
        t.start = t0;
        JsonNode wr = node.client.send("POST", "/v1/workflows/chain/trigger", Map.of("input", Map.of()));
        String runId = wr.path("id").asText();
        t.await(o.roundTimeout, "chain workflow run " + runId);
        JsonNode done = node.client.send("GET", "/v1/workflow-runs/" + runId, null);
        if (!"completed".equals(done.path("status").asText())) {
            throw new BenchFailure("workflow run " + runId + " is " + done.path("status").asText()
                    + " after its last step's run was completed; expected completed");
        }
        List<Double> hops = new ArrayList<>();
        for (int i = 1; i < o.length; i++) {
            hops.add((t.byStep("s" + i).claimed - t.byStep("s" + (i - 1)).done) / 1e6);
        }
        Stats s = Stats.of(hops);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("first claimed", t.ms(t.byStep("s0").claimed));
        m.put("done->next claimed p50", s.p50());
        m.put("done->next claimed max", s.max());
        t.batchMarks(m);
        return new Round("chain", t.ms(t.byStep("s" + (o.length - 1)).done), m);
    }

    private static Round plainSequentialRound(Harness.Node node, Options o, List<Claimer> workers) throws Exception {
        Tally t = new Tally(o.length);
        awaitParked(workers);
        workers.forEach(w -> w.tally.set(t));
        long t0 = System.nanoTime();
        t.start = t0;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < o.length; i++) {
            ids.add(node.client.trigger("noop-chain", TriggerRequest.of(Map.of("i", i))).id());
            t.awaitCount(i + 1, o.roundTimeout, "plain run " + (i + 1) + " of " + o.length + " (" + ids.get(i) + ")");
        }
        t.await(o.roundTimeout, o.length + " sequential plain runs");
        List<Double> hops = new ArrayList<>();
        for (int i = 1; i < o.length; i++) {
            hops.add((t.byRun(ids.get(i)).claimed - t.byRun(ids.get(i - 1)).done) / 1e6);
        }
        Stats s = Stats.of(hops);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("first claimed", t.ms(t.byRun(ids.get(0)).claimed));
        m.put("done->next claimed p50", s.p50());
        m.put("done->next claimed max", s.max());
        t.batchMarks(m);
        return new Round("plain", t.ms(t.byRun(ids.get(o.length - 1)).done), m);
    }

    // ------------------------------------------------------------------------------ workers

    /** When one run was claimed and when its completion was answered, System.nanoTime. */
    static final class Times {
        final String stepId;
        volatile long claimed;
        volatile long done;

        Times(String stepId, long claimed) {
            this.stepId = stepId;
            this.claimed = claimed;
        }
    }

    /** What the workers saw during one round; the driver waits on it with a bound. */
    static final class Tally {
        final int expected;
        final Map<String, Times> byRun = new ConcurrentHashMap<>();
        private final AtomicReference<String> error = new AtomicReference<>();
        private int doneCount; // guarded by this
        private final List<Integer> batches = new ArrayList<>(); // guarded by this
        private final List<Double> completeCalls = new ArrayList<>(); // guarded by this
        volatile long start;

        Tally(int expected) {
            this.expected = expected;
        }

        void claimed(List<Run> runs, long at) {
            for (Run r : runs) {
                if (byRun.putIfAbsent(r.id(), new Times(r.stepId(), at)) != null) {
                    fail("run " + r.id() + " was claimed twice");
                }
            }
        }

        synchronized void done(List<Run> runs, long at, long completeCallNanos) {
            for (Run r : runs) {
                byRun.get(r.id()).done = at;
            }
            doneCount += runs.size();
            batches.add(runs.size());
            completeCalls.add(completeCallNanos / 1e6);
            notifyAll();
        }

        /** The median completion call, ms; the number of claims that brought runs; their mean size. */
        synchronized void batchMarks(Map<String, Double> m) {
            m.put("complete call p50", Stats.of(completeCalls).p50());
            m.put("claims with runs", (double) batches.size());
            m.put("runs per claim", batches.stream().mapToInt(Integer::intValue).average().orElse(Double.NaN));
        }

        synchronized void fail(String message) {
            error.compareAndSet(null, message);
            notifyAll();
        }

        /** Waits until every expected run's completion was answered. */
        void await(Duration timeout, String what) throws InterruptedException {
            awaitCount(expected, timeout, what);
            if (byRun.size() != expected) {
                throw new BenchFailure(what + ": " + byRun.size() + " runs claimed, expected " + expected);
            }
        }

        /** Waits until {@code n} completions were answered, the sequential plain cycles one by one. */
        synchronized void awaitCount(int n, Duration timeout, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String e = error.get();
                if (e != null) {
                    throw new BenchFailure(what + ": " + e);
                }
                if (doneCount >= n) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new BenchFailure(String.format("%s did not finish within %d s: %d of %d runs claimed, %d "
                            + "completed", what, timeout.toSeconds(), byRun.size(), expected, doneCount));
                }
                wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 1_000)));
            }
        }

        Times byStep(String stepId) {
            return byRun.values().stream().filter(t -> stepId.equals(t.stepId)).findFirst()
                    .orElseThrow(() -> new BenchFailure("no run of step " + stepId + " was claimed"));
        }

        Times byRun(String runId) {
            Times t = byRun.get(runId);
            if (t == null) {
                throw new BenchFailure("run " + runId + " was never claimed");
            }
            return t;
        }

        long min(boolean claimed, java.util.function.Predicate<String> step) {
            return byRun.values().stream().filter(t -> step.test(t.stepId == null ? "" : t.stepId))
                    .mapToLong(t -> claimed ? t.claimed : t.done).min().orElseThrow();
        }

        long max(boolean claimed, java.util.function.Predicate<String> step) {
            return byRun.values().stream().filter(t -> step.test(t.stepId == null ? "" : t.stepId))
                    .mapToLong(t -> claimed ? t.claimed : t.done).max().orElseThrow();
        }

        double ms(long nanos) {
            return (nanos - start) / 1e6;
        }
    }

    /**
     * One worker as a separate process would be: its own HTTP client, a loop of long-polling claims
     * of up to {@code max} runs, each batch reported with one {@code POST /v1/worker/complete}.
     */
    static final class Claimer {
        final AtomicReference<Tally> tally = new AtomicReference<>();
        private final DroverClient client;
        private final String id;
        private final String queue;
        private final int max;
        private final long waitMs;
        private volatile boolean running = true;
        /** Set just before a claim request is sent, cleared when it answers. */
        private volatile boolean inClaim;
        private Thread thread;

        private Claimer(DroverClient client, String id, String queue, int max, long waitMs) {
            this.client = client;
            this.id = id;
            this.queue = queue;
            this.max = max;
            this.waitMs = waitMs;
        }

        static Claimer start(Harness.Node node, String id, String queue, int max, long waitMs) {
            DroverClient c = DroverClient.builder().baseUrl(node.client.baseUrl()).apiKey(Harness.ADMIN_KEY)
                    .requestTimeout(Duration.ofSeconds(30)).build();
            Claimer w = new Claimer(c, id, queue, max, waitMs);
            w.thread = Thread.ofPlatform().daemon().name("bench-" + id).start(w::loop);
            return w;
        }

        private void loop() {
            ClaimRequest req = new ClaimRequest(id, List.of(queue), max, waitMs, 30_000);
            while (running) {
                List<Run> runs;
                try {
                    inClaim = true;
                    runs = client.claim(req);
                } catch (RuntimeException e) {
                    inClaim = false;
                    if (!running) {
                        return;
                    }
                    report("claim failed: " + e);
                    pause();
                    continue;
                } finally {
                    inClaim = false;
                }
                if (runs.isEmpty()) {
                    continue;
                }
                long claimedAt = System.nanoTime();
                Tally t = tally.get();
                if (t == null) {
                    report("claimed " + runs.size() + " run(s) outside a round");
                    continue;
                }
                t.claimed(runs, claimedAt);
                List<Outcome> outcomes = runs.stream().map(r -> Outcome.success(r.id(), null)).toList();
                List<OutcomeResult> answers;
                long sentAt = System.nanoTime();
                try {
                    answers = client.completeBatch(id, outcomes);
                } catch (RuntimeException e) {
                    t.fail("completion failed: " + e);
                    continue;
                }
                long doneAt = System.nanoTime();
                for (OutcomeResult a : answers) {
                    if (!a.ok()) {
                        t.fail("completion of run " + a.runId() + " refused: " + a.error());
                    }
                }
                t.done(runs, doneAt, doneAt - sentAt);
            }
        }

        private void report(String message) {
            Tally t = tally.get();
            if (t != null) {
                t.fail(id + ": " + message);
            } else {
                System.err.println("bench/workflows: " + id + ": " + message);
            }
        }

        private static void pause() {
            try {
                Thread.sleep(100); // a failed call: do not spin on a broken server
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() {
            running = false;
        }

        void join() throws InterruptedException {
            thread.join(waitMs + 5_000);
            client.close();
        }
    }

    /**
     * Before a round starts, every worker has sent its next claim, and it has had a moment to park on
     * the server: a round measures waking a parked worker, as in production, not a worker that
     * happens to be between two claims.
     */
    private static void awaitParked(List<Claimer> workers) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (Claimer w : workers) {
            while (!w.inClaim) {
                if (System.nanoTime() > deadline) {
                    throw new BenchFailure("worker " + w.id + " did not go back to claiming within 10 s");
                }
                Thread.sleep(1);
            }
        }
        Thread.sleep(100); // the claim requests cross loopback and park; nothing to observe from outside
    }

    private static void stopAll(List<Claimer> workers) throws InterruptedException {
        workers.forEach(Claimer::stop);
        for (Claimer w : workers) {
            w.join();
        }
    }

    /** Every run completed on its first attempt, claimed once; every workflow run completed. */
    private static String verify(Harness.Node node, long expectedRuns, int expectedWorkflowRuns) throws SQLException {
        try (Connection c = node.connection(); Statement s = c.createStatement()) {
            long total;
            long completed;
            long otherAttempts;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE attempt <> 1)
                    FROM runs""")) {
                rs.next();
                total = rs.getLong(1);
                completed = rs.getLong(2);
                otherAttempts = rs.getLong(3);
            }
            long multi;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*) FROM (SELECT run_id FROM run_events WHERE type = 'claimed'
                                          GROUP BY run_id HAVING count(*) > 1) x""")) {
                rs.next();
                multi = rs.getLong(1);
            }
            long wfTotal;
            long wfCompleted;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM workflow_runs""")) {
                rs.next();
                wfTotal = rs.getLong(1);
                wfCompleted = rs.getLong(2);
            }
            boolean ok = total == expectedRuns && completed == expectedRuns && otherAttempts == 0 && multi == 0
                    && wfTotal == expectedWorkflowRuns && wfCompleted == expectedWorkflowRuns;
            String v = String.format("%s: %,d runs (expected %,d), %,d completed, %d with attempt <> 1, %d claimed more "
                    + "than once; %d workflow runs (expected %d), %d completed", ok ? "OK" : "FAILED", total,
                    expectedRuns, completed, otherAttempts, multi, wfTotal, expectedWorkflowRuns, wfCompleted);
            if (!ok) {
                throw new BenchFailure("verification " + v);
            }
            return v;
        }
    }

    private static String marks(Round r) {
        List<String> parts = new ArrayList<>();
        r.marks().forEach((k, v) -> parts.add(String.format("%s %.1f", k, v)));
        return String.join(", ", parts);
    }

    /** The benchmark could not measure what it set out to: a clear message, exit status 1. */
    static final class BenchFailure extends RuntimeException {
        BenchFailure(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------------------ options

    static final class Options {
        static final String HELP = """
                ./bench/workflows [options]
                  --only f,c            which comparisons: f fan-out, c chain (default both)
                  --rounds N            counted rounds of each comparison, alternating which side goes first (default 9)
                  --warmup N            uncounted rounds before them (default 3)
                  --width N             parallel steps of the fan-out, and plain runs it is compared with (default 400)
                  --length N            steps of the chain, and sequential plain runs (default 40)
                  --workers N           worker threads draining the fan-out and its plain runs (default 4)
                  --claim-max N         most runs per claim (default 100)
                  --wait-ms N           long-poll wait of each claim (default 5000)
                  --round-timeout-s N   a round that takes longer fails the benchmark (default 60)
                  --max-minutes N       the whole run gives up with an error after this long (default 10)
                  --out PATH            the markdown report (default bench/results/workflows-latest.md)
                """;
        Path root = Path.of(".");
        String command = "./bench/workflows";
        Set<String> only = new LinkedHashSet<>(List.of("f", "c"));
        int rounds = 9;
        int warmup = 3;
        int width = 400;
        int length = 40;
        int workers = 4;
        int claimMax = 100;
        long waitMs = 5_000;
        Duration roundTimeout = Duration.ofSeconds(60);
        int maxMinutes = 10;
        Path out = Path.of("bench/results/workflows-latest.md");
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (!a.startsWith("-")) {
                    throw new IllegalArgumentException("unexpected argument " + a + "\n" + HELP);
                }
                if (a.equals("--help") || a.equals("-h")) {
                    o.help = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value\n" + HELP);
                }
                String v = args[++i];
                switch (a) {
                    case "--root" -> o.root = Path.of(v);
                    case "--command" -> o.command = v;
                    case "--only" -> {
                        o.only = new LinkedHashSet<>(Arrays.asList(v.split(",")));
                        if (o.only.isEmpty() || !Set.of("f", "c").containsAll(o.only)) {
                            throw new IllegalArgumentException("--only takes f, c or f,c, not " + v);
                        }
                    }
                    case "--rounds" -> o.rounds = positive(a, v, 1);
                    case "--warmup" -> o.warmup = positive(a, v, 0);
                    case "--width" -> o.width = positive(a, v, 1);
                    case "--length" -> o.length = positive(a, v, 2);
                    case "--workers" -> o.workers = positive(a, v, 1);
                    case "--claim-max" -> o.claimMax = positive(a, v, 1);
                    case "--wait-ms" -> o.waitMs = positive(a, v, 0);
                    case "--round-timeout-s" -> o.roundTimeout = Duration.ofSeconds(positive(a, v, 1));
                    case "--max-minutes" -> o.maxMinutes = positive(a, v, 1);
                    case "--out" -> o.out = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + HELP);
                }
            }
            if (o.width + 2 > 1000 || o.length > 1000) {
                throw new IllegalArgumentException("a workflow has at most 1000 steps: --width at most 998, "
                        + "--length at most 1000");
            }
            if (o.claimMax > 500 || o.waitMs > 30_000) {
                throw new IllegalArgumentException("--claim-max is at most 500 and --wait-ms at most 30000 (API.md)");
            }
            return o;
        }

        private static int positive(String name, String value, int min) {
            int n;
            try {
                n = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " takes a whole number, not " + value);
            }
            if (n < min) {
                throw new IllegalArgumentException(name + " is at least " + min + ", not " + value);
            }
            return n;
        }
    }

}
