package io.drover.bench;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput of no-op runs: {@code runs} runs triggered in batches through
 * {@link DroverClient#triggerBatch} over HTTP, claimed and completed by SDK {@link Worker}s, from
 * the first trigger request to the moment the database holds every run as completed. Afterwards
 * the database is checked: every run completed, one 'claimed' and one 'completed' event each.
 */
final class Throughput {

    record Params(int runs, int batch, int triggerThreads, int workers, int concurrency, int completionBatch,
                  Duration linger) {
        String describe() {
            return String.format("%,d runs (after an uncounted warm-up run on its own database), trigger batches of %,d from %d client thread(s); %d SDK worker(s) x "
                    + "concurrency %d (claims up to min(free slots, 500)), completion batches up to %d, linger %d ms",
                    runs, batch, triggerThreads, workers, concurrency, completionBatch, linger.toMillis());
        }
    }

    record Result(double seconds, double runsPerSec, double triggerSeconds, double dbSpanSeconds, long total,
                  long completed, long claimedEvents, long distinctClaimed, long multiClaimed, long completedEvents,
                  long otherAttempts, CpuMeter.Usage cpu, List<Bench.Statement> statements,
                  Map<String, Double> waits) {
        /** CPU milliseconds per run spent by the Drover JVM (server, SDK client and workers) and by PostgreSQL. */
        double cpuMsPerRun() {
            return (cpu.jvm() + cpu.postgres()) * seconds * 1000 / total;
        }

        /** The runs/s this CPU cost allows when every core is ours: cores / CPU per run. */
        double ceiling() {
            return Runtime.getRuntime().availableProcessors() * 1000 / cpuMsPerRun();
        }

        boolean verified(int runs) {
            return total == runs && completed == runs && claimedEvents == runs && distinctClaimed == runs
                    && multiClaimed == 0 && completedEvents == runs && otherAttempts == 0;
        }

        String verification(int runs) {
            return String.format("%s: %,d runs, %,d completed, %,d 'claimed' events over %,d runs, %d run(s) claimed "
                    + "more than once, %,d 'completed' events, %d run(s) with attempt <> 1",
                    verified(runs) ? "OK" : "FAILED", total, completed, claimedEvents, distinctClaimed, multiClaimed,
                    completedEvents, otherAttempts);
        }
    }

    static Result run(Harness h, Params p, CpuMeter meter) throws Exception {
        try (Harness.Node node = h.node("throughput")) {
            String slug = "bench-noop";
            String queue = "bench";
            node.client.createJob(JobSpec.builder(slug).queue(queue).build());
            AtomicLong handled = new AtomicLong();
            List<Worker> workers = new ArrayList<>();
            List<DroverClient> clients = new ArrayList<>();
            for (int w = 0; w < p.workers(); w++) {
                // One client per worker, as separate worker processes would have.
                DroverClient wc = DroverClient.builder().baseUrl(node.client.baseUrl()).apiKey(Harness.ADMIN_KEY).build();
                clients.add(wc);
                Worker worker = Worker.builder().client(wc).queue(queue).workerId("bench-worker-" + w)
                        .concurrency(p.concurrency()).claimWait(Duration.ofSeconds(2))
                        .completionBatchSize(p.completionBatch()).completionLinger(p.linger())
                        .handler(slug, (ctx, payload) -> {
                            handled.incrementAndGet();
                            return null;
                        })
                        .build();
                workers.add(worker);
            }
            workers.forEach(Worker::start);
            List<List<TriggerRequest>> batches = new ArrayList<>();
            for (int from = 0; from < p.runs(); from += p.batch()) {
                List<TriggerRequest> b = new ArrayList<>(p.batch());
                for (int i = from; i < Math.min(p.runs(), from + p.batch()); i++) {
                    b.add(TriggerRequest.of(Map.of("n", i)));
                }
                batches.add(b);
            }
            Thread.sleep(500); // the workers' first claims are parked on the server
            node.resetStatements();

            WaitSampler waits = new WaitSampler(h, node.database, 20);
            CpuMeter.Sample cpu0 = meter.sample();
            long t0 = System.nanoTime();
            ExecutorService triggerPool = Executors.newFixedThreadPool(p.triggerThreads());
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> senders = new ArrayList<>();
            for (int t = 0; t < p.triggerThreads(); t++) {
                senders.add(triggerPool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < batches.size()) {
                        node.client.triggerBatch(slug, batches.get(i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : senders) {
                f.get();
            }
            long tTriggered = System.nanoTime();
            triggerPool.shutdown();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (handled.get() < p.runs()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + handled.get() + " of " + p.runs() + " runs were handled");
                }
                Thread.sleep(1);
            }
            // Every handler has returned; the run is done when its completion is committed.
            try (Connection c = node.connection();
                    PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM runs WHERE status = 'completed'")) {
                while (true) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) >= p.runs()) {
                            break;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("not every completion reached the database");
                    }
                    Thread.sleep(10);
                }
            }
            long t1 = System.nanoTime();
            CpuMeter.Sample cpu1 = meter.sample();
            waits.close();
            List<Bench.Statement> statements = node.topStatements(8);

            for (Worker w : workers) {
                Thread.ofVirtual().start(w::close);
            }
            Result r = verify(node, p, t0, tTriggered, t1, CpuMeter.between(cpu0, cpu1), statements, waits.averages());
            for (Worker w : workers) {
                w.close();
            }
            clients.forEach(DroverClient::close);
            return r;
        }
    }

    private static Result verify(Harness.Node node, Params p, long t0, long tTriggered, long t1, CpuMeter.Usage cpu,
                                 List<Bench.Statement> statements, Map<String, Double> waits) throws Exception {
        try (Connection c = node.connection(); var s = c.createStatement()) {
            long total;
            long completed;
            long otherAttempts;
            double span;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE attempt <> 1),
                           extract(epoch FROM max(finished_at) - min(created_at))
                    FROM runs""")) {
                rs.next();
                total = rs.getLong(1);
                completed = rs.getLong(2);
                otherAttempts = rs.getLong(3);
                span = rs.getDouble(4);
            }
            long claimed;
            long distinct;
            long done;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*) FILTER (WHERE type = 'claimed'), count(DISTINCT run_id) FILTER (WHERE type = 'claimed'),
                           count(*) FILTER (WHERE type = 'completed')
                    FROM run_events""")) {
                rs.next();
                claimed = rs.getLong(1);
                distinct = rs.getLong(2);
                done = rs.getLong(3);
            }
            long multi;
            try (ResultSet rs = s.executeQuery("""
                    SELECT count(*) FROM (SELECT run_id FROM run_events WHERE type = 'claimed'
                                          GROUP BY run_id HAVING count(*) > 1) x""")) {
                rs.next();
                multi = rs.getLong(1);
            }
            double secs = (t1 - t0) / 1e9;
            return new Result(secs, p.runs() / secs, (tTriggered - t0) / 1e9, span, total, completed, claimed, distinct,
                    multi, done, otherAttempts, cpu, statements, waits);
        }
    }
}
