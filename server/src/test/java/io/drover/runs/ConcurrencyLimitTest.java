package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code max_concurrency} and {@code max_concurrency_per_key}: however greedy the workers, no more
 * runs of a job (or of a key) are active at once than the limit, and every run still completes.
 * Checked three ways: what the claims return, samples of the database while the workers run, and
 * the event log replayed in write order afterwards.
 */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class ConcurrencyLimitTest {
    static final Set<String> ACTIVE = Set.of("dequeued", "executing", "waiting");
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    static List<String> ids(List<JsonNode> runs) {
        return runs.stream().map(r -> r.get("id").asText()).toList();
    }

    static void complete(String id, String worker) {
        Api.Answer a = q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", worker));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
    }

    @Test
    void onlyTwoAreHandedOutAtOnceAndEachEndFreesASlot() {
        q.job("limit-steps", Map.of("max_concurrency", 2, "max_attempts", 1));
        List<Map<String, ?>> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(Map.of("payload", i));
        }
        q.triggerBatch("limit-steps", batch);
        List<JsonNode> first = q.claim("greedy", "limit-steps", 10, 60_000, 0);
        assertThat(first).hasSize(2);
        assertThat(q.claim("greedy", "limit-steps", 10, 60_000, 0)).isEmpty();

        complete(first.get(0).get("id").asText(), "greedy"); // completion frees a slot
        List<JsonNode> next = q.claim("greedy", "limit-steps", 10, 60_000, 2_000);
        assertThat(next).hasSize(1);
        assertThat(q.claim("greedy", "limit-steps", 10, 60_000, 0)).isEmpty();

        assertThat(q.post("/v1/runs/" + first.get(1).get("id").asText() + "/cancel", Map.of()).status())
                .isEqualTo(200); // cancel frees a slot
        assertThat(q.claim("greedy", "limit-steps", 10, 60_000, 2_000)).hasSize(1);

        String failing = next.get(0).get("id").asText(); // a failure without retry frees a slot
        assertThat(q.post("/v1/runs/" + failing + "/fail", Map.of("worker_id", "greedy")).status()).isEqualTo(200);
        assertThat(q.status(failing)).isEqualTo("dead_letter");
        List<JsonNode> afterFail = q.claim("greedy", "limit-steps", 10, 60_000, 2_000);
        assertThat(afterFail).hasSize(1);

        String released = afterFail.get(0).get("id").asText(); // a release gives the slot to the queue
        assertThat(q.post("/v1/runs/" + released + "/release", Map.of("worker_id", "greedy")).status()).isEqualTo(200);
        assertThat(q.claim("greedy", "limit-steps", 10, 60_000, 2_000)).hasSize(1);
        assertThat(q.claim("greedy", "limit-steps", 10, 60_000, 0)).isEmpty();
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'limit-steps' AND status = 'executing'"))
                .isEqualTo(2);
    }

    @Test
    void aCrashedHolderFreesItsSlotThroughTheReaper() {
        q.job("limit-crash", Map.of("max_concurrency", 1, "max_attempts", 1));
        String a = q.triggerId("limit-crash");
        String b = q.triggerId("limit-crash");
        q.claimOnly("doomed", "limit-crash", a, 1_000);
        assertThat(q.claim("other", "limit-crash", 10, 60_000, 0)).isEmpty();
        q.claimOnly("other", "limit-crash", b, 60_000); // once the reaper has dead-lettered a
        assertThat(q.status(a)).isEqualTo("dead_letter");
    }

    @Test
    void greedyWorkersNeverRunMoreThanTwoAtOnce() throws Exception {
        String jobId = q.job("limit-greedy", Map.of("max_concurrency", 2, "max_attempts", 3,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 0))).get("id").asText();
        List<Map<String, ?>> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(Map.of("payload", Map.of("fail_first", i % 5 == 0))); // some retry, through delayed
        }
        q.triggerBatch("limit-greedy", batch);
        Stress s = stress(UUID.fromString(jobId), "limit-greedy", 40, 6);

        assertThat(s.maxHeld).as("runs held at once by the workers").isBetween(1, 2);
        assertThat(s.maxSampled).as("active runs sampled in the database").isEqualTo(2);
        assertThat(s.replay.maxTotal).as("active runs replayed from the event log").isEqualTo(2);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ? AND status = 'completed'",
                UUID.fromString(jobId))).isEqualTo(40);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_id = ? AND e.type = 'attempt_failed'", UUID.fromString(jobId))).isEqualTo(8);
    }

    @Test
    void onePerKeyWithTwoKeys() throws Exception {
        String jobId = q.job("limit-key", Map.of("max_concurrency_per_key", 1)).get("id").asText();
        List<Map<String, ?>> batch = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            batch.add(Map.of("concurrency_key", i % 2 == 0 ? "a" : "b", "payload", i));
        }
        q.triggerBatch("limit-key", batch);

        List<JsonNode> first = q.claim("greedy", "limit-key", 10, 60_000, 0);
        assertThat(first).extracting(r -> r.get("concurrency_key").asText()).containsExactlyInAnyOrder("a", "b");
        assertThat(q.claim("greedy", "limit-key", 10, 60_000, 0)).isEmpty();
        JsonNode a = first.stream().filter(r -> r.get("concurrency_key").asText().equals("a")).findFirst().orElseThrow();
        complete(a.get("id").asText(), "greedy");
        List<JsonNode> nextA = q.claim("greedy", "limit-key", 10, 60_000, 2_000);
        assertThat(nextA).extracting(r -> r.get("concurrency_key").asText()).containsExactly("a");
        for (JsonNode r : first) {
            if (!r.equals(a)) {
                complete(r.get("id").asText(), "greedy");
            }
        }
        complete(nextA.get(0).get("id").asText(), "greedy");

        Stress s = stress(UUID.fromString(jobId), "limit-key", 24 - 3, 6);
        assertThat(s.replay.maxByKey).as("active runs per key, replayed from the event log")
                .containsEntry("a", 1).containsEntry("b", 1);
        assertThat(s.replay.maxTotal).as("the keys ran side by side").isEqualTo(2);
        assertThat(s.maxSampled).isLessThanOrEqualTo(2);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ? AND status = 'completed'",
                UUID.fromString(jobId))).isEqualTo(24);
    }

    // ------------------------------------------------------------------------------ stress

    static int active(String status) {
        return status != null && ACTIVE.contains(status) ? 1 : 0;
    }

    record Replay(int maxTotal, Map<String, Integer> maxByKey) {}

    record Stress(int maxHeld, int maxSampled, Replay replay) {}

    /**
     * Greedy workers (claims of up to 10) work the queue until {@code expected} runs completed; each
     * holds a run briefly, fails it once if its payload says {@code fail_first}, else completes it.
     * Meanwhile a sampler counts the job's active runs in the database.
     */
    static Stress stress(UUID jobId, String queue, int expected, int workers) throws Exception {
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger held = new AtomicInteger();
        AtomicInteger maxHeld = new AtomicInteger();
        AtomicInteger maxSampled = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        ExecutorService pool = Executors.newFixedThreadPool(workers + 1);
        try {
            Future<?> sampler = pool.submit(() -> {
                while (running.get()) {
                    int active = (int) q.count("SELECT count(*) FROM runs WHERE job_id = ? "
                            + "AND status IN ('dequeued', 'executing', 'waiting')", jobId);
                    maxSampled.accumulateAndGet(active, Math::max);
                    Thread.sleep(5);
                }
                return null;
            });
            List<Future<?>> all = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                String worker = "greedy-" + w;
                Api api = new Api(server);
                all.add(pool.submit(() -> {
                    while (completed.get() < expected && System.nanoTime() < deadline) {
                        Api.Answer claimed = api.post("/v1/worker/claim", Map.of("worker_id", worker,
                                "queues", List.of(queue), "max", 10, "wait_ms", 300));
                        assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
                        for (JsonNode run : claimed.json().get("data")) {
                            maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                            Thread.sleep(15); // the work
                            String id = run.get("id").asText();
                            held.decrementAndGet();
                            boolean fail = run.get("payload").path("fail_first").asBoolean() && failedOnce.add(id);
                            Api.Answer a = fail
                                    ? api.post("/v1/runs/" + id + "/fail", Map.of("worker_id", worker))
                                    : api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", worker));
                            assertThat(a.status()).as(a.text()).isEqualTo(200);
                            if (!fail) {
                                completed.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(120, TimeUnit.SECONDS);
            }
            running.set(false);
            sampler.get(10, TimeUnit.SECONDS);
        } finally {
            running.set(false);
            pool.shutdownNow();
        }
        assertThat(completed.get()).isEqualTo(expected);
        return new Stress(maxHeld.get(), maxSampled.get(), replay(jobId));
    }

    /**
     * Replays the job's run events in write order (seq), counting active runs in total and per
     * concurrency key. A run is admitted only in the transaction that frees its slot, so its claim
     * is always written after the event that freed the slot.
     */
    static Replay replay(UUID jobId) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT coalesce(r.concurrency_key, ''), e.from_status::text, e.to_status::text
                    FROM run_events e JOIN runs r ON r.id = e.run_id
                    WHERE r.job_id = ? ORDER BY e.seq""")) {
                ps.setObject(1, jobId);
                int total = 0;
                int maxTotal = 0;
                Map<String, Integer> byKey = new HashMap<>();
                Map<String, Integer> maxByKey = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int delta = active(rs.getString(3)) - active(rs.getString(2));
                        total += delta;
                        maxTotal = Math.max(maxTotal, total);
                        int k = byKey.merge(rs.getString(1), delta, Integer::sum);
                        maxByKey.merge(rs.getString(1), k, Math::max);
                    }
                }
                assertThat(total).as("no run left active").isZero();
                return new Replay(maxTotal, maxByKey);
            }
        });
    }
}
