package io.drover.bench;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Enqueue-to-start latency on an idle system: single triggers at a fixed low rate while one SDK
 * worker long-polls. Client side: the handler's first instruction minus the moment the trigger
 * request was sent (one JVM, one monotonic clock). Server side: started_at - created_at of the run.
 */
final class Latency {

    record Params(int ratePerSec, int seconds, int warmupSeconds, int concurrency, Duration claimWait) {
        String describe() {
            return String.format("%d single triggers/s for %d s (after %d s of warm-up, not counted), one SDK worker, "
                    + "concurrency %d, long-poll claimWait %d s", ratePerSec, seconds, warmupSeconds, concurrency,
                    claimWait.toSeconds());
        }
    }

    record Result(Stats endToEnd, Stats server, Stats triggerCall, int lateSends, CpuMeter.Usage cpu,
                  Stats wakeDelay, Stats commit) {}

    /** Durable one-row commits every 50 ms in another database: the WAL flush latency during the run. */
    private static final class CommitProbe implements AutoCloseable {
        private final List<Double> ms = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile boolean running = true;
        private final Thread thread;

        CommitProbe(Harness h) {
            thread = Thread.ofPlatform().daemon().name("bench-commit-probe").start(() -> {
                try (Connection c = h.admin(); var s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (n int)");
                    try (var ps = c.prepareStatement("INSERT INTO bench_commit_probe VALUES (1)")) {
                        while (running) {
                            long t = System.nanoTime();
                            ps.executeUpdate();
                            ms.add((System.nanoTime() - t) / 1e6);
                            Thread.sleep(50);
                        }
                    }
                    s.execute("DROP TABLE bench_commit_probe");
                } catch (java.sql.SQLException | InterruptedException e) {
                    // an aid only
                }
            });
        }

        Stats stats() {
            synchronized (ms) {
                return Stats.of(new ArrayList<>(ms));
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(2_000);
        }
    }

    /**
     * How late a thread of this JVM wakes from a 1 ms sleep, sampled all through the measurement:
     * the machine's own scheduling delay, which every hop of a trigger and a claim (client thread,
     * HTTP server thread, PostgreSQL backend, WAL flush, claim, worker thread) may pay again.
     */
    private static final class WakeProbe implements AutoCloseable {
        private final List<Double> lateMs = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile boolean running = true;
        private final Thread thread = Thread.ofPlatform().daemon().name("bench-wake-probe").start(() -> {
            while (running) {
                long t = System.nanoTime();
                LockSupport.parkNanos(1_000_000);
                lateMs.add(Math.max(0, (System.nanoTime() - t - 1_000_000) / 1e6));
            }
        });

        Stats stats() {
            synchronized (lateMs) {
                return Stats.of(new ArrayList<>(lateMs));
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(1_000);
        }
    }

    static Result run(Harness h, Params p, CpuMeter meter) throws Exception {
        try (Harness.Node node = h.node("latency")) {
            String slug = "bench-latency";
            String queue = "latency";
            node.client.createJob(JobSpec.builder(slug).queue(queue).build());
            int warmup = p.ratePerSec() * p.warmupSeconds();
            int total = warmup + p.ratePerSec() * p.seconds();
            AtomicLongArray sent = new AtomicLongArray(total);
            AtomicLongArray started = new AtomicLongArray(total);
            AtomicLongArray answered = new AtomicLongArray(total);
            AtomicInteger handled = new AtomicInteger();
            DroverClient workerClient = DroverClient.builder().baseUrl(node.client.baseUrl())
                    .apiKey(Harness.ADMIN_KEY).build();
            Worker worker = Worker.builder().client(workerClient).queue(queue).workerId("bench-latency-worker")
                    .concurrency(p.concurrency()).claimWait(p.claimWait())
                    .handler(slug, (ctx, payload) -> {
                        long now = System.nanoTime();
                        started.set(payload.get("i").asInt(), now);
                        handled.incrementAndGet();
                        return null;
                    })
                    .build();
            worker.start();
            Thread.sleep(500); // the worker's first claim is parked on the server: the system is idle

            long period = 1_000_000_000L / p.ratePerSec();
            long begin = System.nanoTime() + period;
            int late = 0;
            CpuMeter.Sample cpu0 = null;
            WakeProbe probe = null;
            CommitProbe commits = null;
            for (int i = 0; i < total; i++) {
                if (i == warmup) {
                    cpu0 = meter.sample();
                    probe = new WakeProbe();
                    commits = new CommitProbe(h);
                }
                long at = begin + i * period;
                long wait;
                while ((wait = at - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (System.nanoTime() - at > period) {
                    late++; // the previous trigger took longer than the period: this send is late
                }
                long t = System.nanoTime();
                sent.set(i, t);
                node.client.trigger(slug, TriggerRequest.of(Map.of("i", i)));
                answered.set(i, System.nanoTime() - t);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (handled.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            CpuMeter.Sample cpu1 = meter.sample();
            probe.close();
            commits.close();
            worker.close();
            workerClient.close();
            if (handled.get() < total) {
                throw new IllegalStateException("only " + handled.get() + " of " + total + " runs started");
            }
            List<Double> e2e = new ArrayList<>();
            List<Double> call = new ArrayList<>();
            for (int i = warmup; i < total; i++) {
                e2e.add((started.get(i) - sent.get(i)) / 1e6);
                call.add(answered.get(i) / 1e6);
            }
            List<Double> server = new ArrayList<>();
            try (Connection c = node.connection(); var s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT (payload->>'i')::int, extract(epoch FROM started_at - created_at) * 1000 FROM runs")) {
                while (rs.next()) {
                    if (rs.getInt(1) >= warmup) {
                        server.add(rs.getDouble(2));
                    }
                }
            }
            return new Result(Stats.of(e2e), Stats.of(server), Stats.of(call), late, CpuMeter.between(cpu0, cpu1),
                    probe.stats(), commits.stats());
        }
    }
}
