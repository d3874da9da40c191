package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many workers competing for one queue while it fills: every run is claimed by exactly one worker
 * and completed exactly once (SKIP LOCKED claims, batched completions). The workers are spread over
 * two nodes on one database, so the second node learns of new runs only through LISTEN/NOTIFY.
 */
class CompetingWorkersTest {
    static final int RUNS = 10_000;
    static final int BATCH = 1_000;
    static final int WORKERS = 8;

    static TestServer server;
    static TestServer otherNode;
    static RunFixture q;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        otherNode = TestServer.startOn(server.jdbcUrl(), Map.of("DROVER_PUSH_ENABLED", "false"));
        q = new RunFixture(server);
    }

    @AfterAll
    static void stop() {
        if (otherNode != null) {
            otherNode.close();
        }
        server.close();
    }

    @Test
    void tenThousandRunsEachCompletedExactlyOnceByEightWorkers() throws Exception {
        String jobId = q.job("compete", Map.of()).get("id").asText();
        ConcurrentHashMap<String, AtomicInteger> claims = new ConcurrentHashMap<>();
        ConcurrentHashMap<String, AtomicInteger> completions = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);

        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                String worker = "worker-" + w;
                int max = new int[] {10, 25, 50, 100}[w % 4];
                Api api = new Api(w % 2 == 0 ? server : otherNode); // its own HTTP client and connections
                workers.add(pool.submit(() -> {
                    int mine = 0;
                    while (done.get() < RUNS && System.nanoTime() < deadline) {
                        Api.Answer claimed = api.post("/v1/worker/claim", Map.of("worker_id", worker,
                                "queues", List.of("compete"), "max", max, "wait_ms", 500));
                        assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
                        List<Map<String, Object>> results = new ArrayList<>();
                        for (JsonNode run : claimed.json().get("data")) {
                            String id = run.get("id").asText();
                            claims.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                            assertThat(run.get("worker_id").asText()).isEqualTo(worker);
                            results.add(Map.of("run_id", id, "result", Map.of("by", worker)));
                        }
                        if (results.isEmpty()) {
                            continue;
                        }
                        Api.Answer reported = api.post("/v1/worker/complete",
                                Map.of("worker_id", worker, "results", results));
                        assertThat(reported.status()).as(reported.text()).isEqualTo(200);
                        for (JsonNode item : reported.json().get("data")) {
                            String id = item.get("run_id").asText();
                            if (item.get("ok").asBoolean() && "completed".equals(item.get("status").asText())) {
                                completions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                                done.incrementAndGet();
                                mine++;
                            } else {
                                refused.add(item.toString());
                            }
                        }
                    }
                    return mine;
                }));
            }
            // Fill the queue while the workers already compete for it.
            Future<?> producer = pool.submit(() -> {
                for (int b = 0; b < RUNS / BATCH; b++) {
                    List<Map<String, ?>> runs = new ArrayList<>();
                    for (int i = 0; i < BATCH; i++) {
                        runs.add(Map.of("payload", Map.of("n", b * BATCH + i)));
                    }
                    assertThat(q.triggerBatch("compete", runs)).hasSize(BATCH);
                }
                return null;
            });
            producer.get(180, TimeUnit.SECONDS);
            int total = 0;
            List<Integer> perWorker = new ArrayList<>();
            for (Future<Integer> f : workers) {
                int n = f.get(200, TimeUnit.SECONDS);
                perWorker.add(n);
                total += n;
            }
            assertThat(total).isEqualTo(RUNS);
            assertThat(perWorker.stream().filter(n -> n > 0).count()).as("workers that got runs: %s", perWorker)
                    .isGreaterThanOrEqualTo(WORKERS / 2);
            int onOtherNode = 0;
            for (int w = 1; w < WORKERS; w += 2) {
                onOtherNode += perWorker.get(w);
            }
            assertThat(onOtherNode).as("runs completed through the node that did not trigger them").isPositive();
        } finally {
            pool.shutdownNow();
        }

        assertThat(refused).as("completions refused").isEmpty();
        assertThat(claims).hasSize(RUNS);
        assertThat(claims.values()).as("runs claimed more than once").allMatch(n -> n.get() == 1);
        assertThat(completions).hasSize(RUNS);
        assertThat(completions.values()).allMatch(n -> n.get() == 1);

        UUID job = UUID.fromString(jobId);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ?", job)).isEqualTo(RUNS);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ? AND status = 'completed' AND attempt = 1",
                job)).isEqualTo(RUNS);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_id = ? AND e.type = 'claimed'", job)).isEqualTo(RUNS);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_id = ? AND e.type = 'completed'", job)).isEqualTo(RUNS);
        assertThat(q.count("SELECT count(*) FROM (SELECT e.run_id FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_id = ? AND e.type = 'claimed' GROUP BY e.run_id HAVING count(*) > 1) twice", job))
                .as("runs claimed twice").isZero();
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ? AND result->>'by' <> worker_id", job))
                .as("each result was written by the run's holder").isZero();
    }
}
