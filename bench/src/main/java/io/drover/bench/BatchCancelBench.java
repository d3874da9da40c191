package io.drover.bench;

import io.drover.client.DroverClient;
import io.drover.client.TriggerRequest;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The batch cancel target of issue 18: cancel {@code --runs} (100,000) queued runs with one
 * {@code POST /v1/runs/cancel} while a claimer keeps claiming one run at a time from another queue
 * (kept topped up by a feeder); reported: how long the batch took, and the claims' latency before
 * and during it, the longest claim being the longest the batch held claims up.
 *
 * <pre>
 * $JAVA_HOME/bin/java -Xmx1g -Dlogback.configurationFile=logback-bench.xml \
 *   -cp "bench/target/drover-bench.jar:bench/target/lib/*" io.drover.bench.BatchCancelBench [--runs 100000]
 * </pre>
 */
public final class BatchCancelBench {
    public static void main(String[] args) throws Exception {
        int runs = 100_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--runs N)");
            }
        }
        try (Harness h = Harness.start(); Harness.Node node = h.node("batchcancel")) {
            DroverClient client = node.client;
            client.send("POST", "/v1/jobs", Map.of("slug", "doomed", "queue", "doomed"));
            client.send("POST", "/v1/jobs", Map.of("slug", "live", "queue", "live"));
            List<TriggerRequest> thousand = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                thousand.add(TriggerRequest.of(Map.of("n", i)));
            }
            long f0 = System.nanoTime();
            for (int done = 0; done < runs; done += 1000) {
                client.triggerBatchIds("doomed", thousand.subList(0, Math.min(1000, runs - done)));
            }
            System.out.printf("triggered %,d runs in %.1f s%n", runs, (System.nanoTime() - f0) / 1e9);
            client.triggerBatchIds("live", thousand);

            AtomicBoolean claiming = new AtomicBoolean(true);
            Times before = new Times();
            Times during = new Times();
            AtomicBoolean inBatch = new AtomicBoolean(false);
            Thread claimer = Thread.ofPlatform().name("claimer").start(() -> {
                int sinceFill = 0;
                while (claiming.get()) {
                    long t = System.nanoTime();
                    JsonNode got = client.send("POST", "/v1/worker/claim", Map.of("worker_id", "probe",
                            "queues", List.of("live"), "max", 1, "wait_ms", 0));
                    long ns = System.nanoTime() - t;
                    (inBatch.get() ? during : before).add(ns);
                    for (JsonNode r : got.get("data")) {
                        client.send("POST", "/v1/worker/complete", Map.of("worker_id", "probe", "results",
                                List.of(Map.of("run_id", r.get("id").asText(), "result", Map.of()))));
                    }
                    if (++sinceFill == 500) {
                        client.triggerBatchIds("live", thousand.subList(0, 500));
                        sinceFill = 0;
                    }
                }
            });
            Thread.sleep(5_000);
            inBatch.set(true);
            long b0 = System.nanoTime();
            JsonNode made = client.send("POST", "/v1/runs/cancel", Map.of("filter", Map.of("job", "doomed",
                    "status", "queued"), "confirm_count", runs));
            String id = made.get("batch_id").asText();
            JsonNode b;
            do {
                Thread.sleep(200);
                b = client.send("GET", "/v1/batches/" + id, null);
            } while (!b.get("status").asText().equals("done"));
            double secs = (System.nanoTime() - b0) / 1e9;
            inBatch.set(false);
            claiming.set(false);
            claimer.join(10_000);
            System.out.printf("%nbatch cancel of %,d runs: %.1f s (%.0f runs/s), done %d, failed %d%n", runs, secs,
                    runs / secs, b.get("done").asInt(), b.get("failed").asInt());
            System.out.printf("claims before: %s%nclaims during: %s%n", before.summary(), during.summary());
        }
    }

    /** Claim latencies in nanoseconds: count, median, 99th percentile, max (ms). */
    static final class Times {
        private final List<Long> ns = new ArrayList<>();

        synchronized void add(long v) {
            ns.add(v);
        }

        synchronized String summary() {
            if (ns.isEmpty()) {
                return "no claims";
            }
            List<Long> s = new ArrayList<>(ns);
            s.sort(null);
            return String.format("%,d claims, p50 %.2f ms, p99 %.2f ms, max %.2f ms", s.size(),
                    s.get(s.size() / 2) / 1e6, s.get((int) (s.size() * 0.99)) / 1e6, s.get(s.size() - 1) / 1e6);
        }
    }
}
