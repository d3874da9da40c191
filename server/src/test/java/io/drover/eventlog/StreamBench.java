package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stream under a burst (issue 17's target: 100 SSE clients each get every event of a
 * 10,000-run burst, in order, none missed, heap flat). Not part of the suite (the name does not
 * end in Test); run it with
 * {@code mvn -pl server -am test -Dtest=StreamBench -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbench.clients=100 -Dbench.runs=10000}. Each run makes three events (created, claimed,
 * completed): runs are triggered in batches of 500 and a worker claims and completes them in
 * batches, while the clients read. Checks every client got exactly the 3 x runs events in
 * increasing id order; prints times and the heap.
 */
class StreamBench {
    static final int CLIENTS = Integer.getInteger("bench.clients", 100);
    static final int RUNS = Integer.getInteger("bench.runs", 10_000);

    @Test
    void clientsEachReceiveEveryEventOfABurstInOrder() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_DB_POOL_SIZE", "20"))) {
            Api api = new Api(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "burst", "queue", "bq")).status()).isEqualTo(201);
            int expected = RUNS * 3;
            List<SseClient> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                SseClient c = SseClient.open(server.baseUrl(), "/v1/stream?types=run.*", server.adminKey(), Map.of());
                assertThat(c.status).isEqualTo(200);
                clients.add(c);
            }
            for (SseClient c : clients) {
                c.awaitComment("live", Duration.ofSeconds(60));
            }
            long heapBefore = usedHeap();
            CountDownLatch done = new CountDownLatch(CLIENTS);
            List<Long> finishMs = Collections.synchronizedList(new ArrayList<>());
            AtomicReference<String> problem = new AtomicReference<>();
            long start = System.nanoTime();
            for (SseClient c : clients) {
                Thread.ofPlatform().daemon().start(() -> {
                    String last = "";
                    for (int n = 0; n < expected; n++) {
                        SseClient.Message m;
                        try {
                            m = c.nextEvent(Duration.ofSeconds(120));
                        } catch (AssertionError e) {
                            problem.compareAndSet(null, "after " + n + " events: " + e.getMessage());
                            break;
                        }
                        if (m.id().compareTo(last) <= 0) {
                            problem.compareAndSet(null, "out of order: " + m.id() + " after " + last);
                        }
                        last = m.id();
                    }
                    finishMs.add((System.nanoTime() - start) / 1_000_000);
                    done.countDown();
                });
            }
            Thread worker = Thread.ofPlatform().start(() -> {
                int completed = 0;
                while (completed < RUNS) {
                    JsonNode claimed = api.post("/v1/worker/claim", Map.of("worker_id", "bw", "queues", List.of("bq"),
                            "max", 500, "wait_ms", 1000)).json().get("data");
                    List<Map<String, Object>> results = new ArrayList<>();
                    for (JsonNode r : claimed) {
                        results.add(Map.of("run_id", r.get("id").asText(), "result", Map.of()));
                    }
                    if (!results.isEmpty()) {
                        assertThat(api.post("/v1/worker/complete", Map.of("worker_id", "bw", "results", results))
                                .status()).isEqualTo(200);
                        completed += results.size();
                    }
                }
            });
            for (int i = 0; i < RUNS; i += 500) {
                List<Map<String, Object>> batch = new ArrayList<>();
                for (int j = i; j < Math.min(RUNS, i + 500); j++) {
                    batch.add(Map.of("payload", Map.of("n", j)));
                }
                var r = api.post("/v1/jobs/burst/trigger/batch", Map.of("runs", batch));
                assertThat(r.status()).as(r.text()).isIn(200, 201);
            }
            long triggeredMs = (System.nanoTime() - start) / 1_000_000;
            worker.join();
            long workedMs = (System.nanoTime() - start) / 1_000_000;
            done.await();
            long heapAfter = usedHeap();
            assertThat(problem.get()).isNull();
            Collections.sort(finishMs);
            System.out.printf("""
                    | clients | runs | events per client | triggered | claimed+completed | last client done | first client done | heap used before / after (MiB) |
                    |---|---|---|---|---|---|---|---|
                    | %d | %d | %d | %d ms | %d ms | %d ms | %d ms | %d / %d |
                    %n""", CLIENTS, RUNS, expected, triggeredMs, workedMs, finishMs.get(finishMs.size() - 1),
                    finishMs.get(0), heapBefore >> 20, heapAfter >> 20);
            clients.forEach(SseClient::close);
        }
    }

    private static long usedHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
