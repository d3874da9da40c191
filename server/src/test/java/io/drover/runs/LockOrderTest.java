package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker's batch heartbeat and its batch report touch the same runs at the same moment, with the
 * runs in opposite orders. Every statement that locks several runs must lock them in one order
 * (id), or the two transactions deadlock and one of the requests fails with a 500.
 */
@DroverTest
class LockOrderTest {
    static Api api;

    @BeforeAll
    static void start() {
        api.post("/v1/jobs", Map.of("slug", "locks", "queue", "locks", "max_attempts", 5));
    }

    @Test
    void heartbeatsAndReportsOfTheSameRunsNeverDeadlock() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 12; round++) {
                List<String> ids = claimed(400);
                List<String> ascending = ids.stream().sorted(Comparator.comparing(UUID::fromString)).toList();
                List<Map<String, Object>> results = new ArrayList<>();
                for (int i = ascending.size() - 1; i >= 0; i--) { // descending: the opposite order
                    String id = ascending.get(i);
                    results.add(i % 3 == 0
                            ? Map.of("run_id", id, "error", Map.of("message", "boom"), "retryable", true)
                            : Map.of("run_id", id));
                }
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Api.Answer> beat = pool.submit(() -> {
                    together.await();
                    return api.post("/v1/worker/heartbeat", Map.of("worker_id", "w-locks", "run_ids", ascending));
                });
                Future<Api.Answer> report = pool.submit(() -> {
                    together.await();
                    return api.post("/v1/worker/complete", Map.of("worker_id", "w-locks", "results", results));
                });

                assertThat(beat.get().status()).as("heartbeat, round %d: %s", round, beat.get().text()).isEqualTo(200);
                assertThat(report.get().status()).as("report, round %d: %s", round, report.get().text()).isEqualTo(200);
                report.get().json().get("data").forEach(r -> assertThat(r.get("ok").asBoolean()).isTrue());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> claimed(int n) {
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runs.add(Map.of("payload", Map.of("i", i)));
        }
        assertThat(api.post("/v1/jobs/locks/trigger/batch", Map.of("runs", runs)).status()).isEqualTo(201);
        List<String> ids = new ArrayList<>();
        while (ids.size() < n) {
            var answer = api.post("/v1/worker/claim", Map.of("worker_id", "w-locks", "queues", List.of("locks"),
                    "max", n - ids.size()));
            assertThat(answer.status()).isEqualTo(200);
            answer.json().get("data").forEach(r -> ids.add(r.get("id").asText()));
        }
        return ids;
    }
}
