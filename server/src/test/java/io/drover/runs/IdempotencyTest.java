package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One idempotency key makes one run per job, whatever the concurrency and however the triggers are batched. */
@DroverTest(env = "DROVER_DB_POOL_SIZE=32")
class IdempotencyTest {
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    static UUID jobId(String slug) {
        return UUID.fromString(q.api.get("/v1/jobs/" + slug).json().get("id").asText());
    }

    /** Runs {@code calls} tasks on their own threads, all released at once by a latch. */
    static <T> List<T> together(int calls, java.util.function.IntFunction<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        try {
            CountDownLatch ready = new CountDownLatch(calls);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return task.apply(n);
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fiftyConcurrentTriggersWithOneKeyMakeOneRun() throws Exception {
        q.job("idem-race", Map.of());
        Api api = q.api;
        List<Api.Answer> answers = together(50, n -> api.post("/v1/jobs/idem-race/trigger",
                Map.of("idempotency_key", "order-42", "payload", Map.of("n", n))));

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).as(a.text()).isIn(200, 201));
        List<Api.Answer> created = answers.stream().filter(a -> a.status() == 201).toList();
        assertThat(created).as("exactly one trigger created the run").hasSize(1);
        String id = created.get(0).json().get("id").asText();
        assertThat(answers).allSatisfy(a -> {
            assertThat(a.json().get("id").asText()).isEqualTo(id);
            assertThat(a.json().get("idempotency_key").asText()).isEqualTo("order-42");
        });
        // every answer shows the first run's payload, not the caller's own
        int winner = created.get(0).json().get("payload").get("n").asInt();
        assertThat(answers).allSatisfy(a -> assertThat(a.json().get("payload").get("n").asInt()).isEqualTo(winner));

        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ?", jobId("idem-race"))).isEqualTo(1);
        assertThat(q.count("SELECT count(*) FROM run_events WHERE run_id = ?", UUID.fromString(id))).isEqualTo(1);
        assertThat(q.count("SELECT count(*) FROM run_list WHERE job_id = ?", jobId("idem-race")))
                .as("one list entry, made with the run").isEqualTo(1);
    }

    @Test
    void repeatedKeysInsideABatchAndAcrossBatches() {
        q.job("idem-batch", Map.of());
        List<String> first = q.triggerBatch("idem-batch", List.of(
                Map.of("idempotency_key", "a", "payload", 1),
                Map.of("idempotency_key", "b", "payload", 2),
                Map.of("idempotency_key", "a", "payload", 3),
                Map.of("payload", 4),
                Map.of("payload", 5)));
        assertThat(first.get(2)).as("a repeated key inside the batch names the first run").isEqualTo(first.get(0));
        assertThat(new HashSet<>(first)).hasSize(4);
        assertThat(q.run(first.get(0)).get("payload").asInt()).as("the first of the batch wins").isEqualTo(1);

        List<String> second = q.triggerBatch("idem-batch", List.of(
                Map.of("idempotency_key", "c", "payload", 6),
                Map.of("idempotency_key", "b", "payload", 7),
                Map.of("idempotency_key", "a", "payload", 8),
                Map.of("idempotency_key", "c", "payload", 9)));
        assertThat(second.get(1)).isEqualTo(first.get(1));
        assertThat(second.get(2)).isEqualTo(first.get(0));
        assertThat(second.get(3)).isEqualTo(second.get(0));
        assertThat(first).doesNotContain(second.get(0));

        // a single trigger with a key of a batch answers 200 with that run
        Api.Answer single = q.api.post("/v1/jobs/idem-batch/trigger", Map.of("idempotency_key", "b", "payload", 10));
        assertThat(single.status()).isEqualTo(200);
        assertThat(single.json().get("id").asText()).isEqualTo(first.get(1));
        assertThat(single.json().get("payload").asInt()).isEqualTo(2);

        // "answer": "ids" names the same runs, in order, as plain ids
        Api.Answer ids = q.api.post("/v1/jobs/idem-batch/trigger/batch", Map.of("answer", "ids", "runs", List.of(
                Map.of("idempotency_key", "b", "payload", 11),
                Map.of("idempotency_key", "a", "payload", 12))));
        assertThat(ids.status()).as(ids.text()).isEqualTo(201);
        assertThat(ids.json().get("data")).extracting(JsonNode::asText).containsExactly(first.get(1), first.get(0));

        UUID job = jobId("idem-batch");
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ?", job)).isEqualTo(5);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ? AND idempotency_key IS NOT NULL", job))
                .isEqualTo(3);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id WHERE r.job_id = ?", job))
                .as("one created event per run, none for the repeats").isEqualTo(5);
        assertThat(q.count("SELECT count(*) FROM run_list l JOIN runs r ON r.id = l.id WHERE l.job_id = ?", job))
                .as("one list entry per run, none for the repeats").isEqualTo(5);
    }

    @Test
    void theKeyIsScopedToTheJob() {
        q.job("idem-one", Map.of());
        q.job("idem-two", Map.of());
        String a = q.trigger("idem-one", Map.of("idempotency_key", "same")).get("id").asText();
        String b = q.trigger("idem-two", Map.of("idempotency_key", "same")).get("id").asText();
        assertThat(a).isNotEqualTo(b);
        assertThat(q.api.post("/v1/jobs/idem-one/trigger", Map.of("idempotency_key", "same")).status())
                .isEqualTo(200);
    }

    @Test
    void theKeyHoldsAfterTheRunFinished() {
        q.job("idem-done", Map.of());
        String id = q.trigger("idem-done", Map.of("idempotency_key", "once")).get("id").asText();
        q.claimOnly("w", "idem-done", id, 60_000);
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w")).status()).isEqualTo(200);
        Api.Answer again = q.api.post("/v1/jobs/idem-done/trigger", Map.of("idempotency_key", "once"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("id").asText()).isEqualTo(id);
        assertThat(again.json().get("status").asText()).isEqualTo("completed");
    }

    @Test
    void concurrentBatchesWithOverlappingKeysInAnyOrderMakeOneRunPerKey() throws Exception {
        String slug = "idem-batches";
        q.job(slug, Map.of());
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            keys.add("key-" + i);
        }
        Api api = q.api;
        List<Api.Answer> answers = together(8, n -> {
            // half the batches in one order, half in the reverse one: they meet in the middle
            List<String> mine = new ArrayList<>(keys);
            if (n % 2 == 1) {
                Collections.reverse(mine);
            }
            List<Map<String, Object>> runs = mine.stream().map(k -> Map.<String, Object>of("idempotency_key", k))
                    .toList();
            return api.post("/v1/jobs/" + slug + "/trigger/batch", Map.of("runs", runs));
        });
        Map<String, String> idByKey = new HashMap<>();
        for (Api.Answer a : answers) {
            assertThat(a.status()).as("batch answer: %s", a.text()).isEqualTo(201);
            for (JsonNode run : a.json().get("data")) {
                String prior = idByKey.putIfAbsent(run.get("idempotency_key").asText(), run.get("id").asText());
                if (prior != null) {
                    assertThat(run.get("id").asText()).as("every batch sees the same run per key").isEqualTo(prior);
                }
            }
        }
        assertThat(idByKey).hasSize(500);
        Set<String> ids = new HashSet<>(idByKey.values());
        assertThat(ids).hasSize(500);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ?", jobId(slug))).isEqualTo(500);
    }

    /**
     * Two batches with the same keys in opposite orders, and a third trigger that holds the middle
     * key uncommitted until both batches wait for it: each batch then holds the half of the keys the
     * other needs next. Inserting in request order deadlocked here (one batch answered 500); the
     * insert must take keys in one global order.
     */
    @Test
    void batchesThatMeetInTheMiddleOfEachOthersKeysDoNotDeadlock() throws Exception {
        String slug = "idem-meet";
        q.job(slug, Map.of());
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            keys.add(String.format("k%03d", i));
        }
        List<String> reversed = new ArrayList<>(keys);
        Collections.reverse(reversed);
        io.drover.jobs.Job job = server.server().runs().jobs().get(projectId(), slug);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // the middle key's trigger holds it uncommitted until both batches wait for it; its
            // transaction commits when the lambda returns
            List<Future<Api.Answer>> batches = server.db().tx(holder -> {
                TriggerRequest middle = new TriggerRequest(io.drover.http.Json.MAPPER.nullNode(), null, "k050", null,
                        null, null, null);
                server.server().runs().triggerIn(holder, job, List.of(middle), RunStore.Origin.API);
                List<Future<Api.Answer>> submitted = new ArrayList<>();
                for (List<String> order : List.of(keys, reversed)) {
                    List<Map<String, Object>> runs = order.stream()
                            .map(k -> Map.<String, Object>of("idempotency_key", k)).toList();
                    submitted.add(pool.submit(() -> q.api.post("/v1/jobs/" + slug + "/trigger/batch",
                            Map.of("runs", runs))));
                }
                io.drover.testing.Await.until("both batches to wait for the held key", RunFixture.WAIT,
                        () -> q.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                + "AND wait_event_type = 'Lock'") >= 2);
                return submitted;
            });
            Map<String, String> idByKey = new HashMap<>();
            for (Future<Api.Answer> f : batches) {
                Api.Answer a = f.get(60, TimeUnit.SECONDS);
                assertThat(a.status()).as("batch answer: %s", a.text()).isEqualTo(201);
                for (JsonNode run : a.json().get("data")) {
                    String prior = idByKey.putIfAbsent(run.get("idempotency_key").asText(), run.get("id").asText());
                    assertThat(prior == null || prior.equals(run.get("id").asText())).isTrue();
                }
            }
            assertThat(idByKey).hasSize(100);
        } finally {
            pool.shutdownNow();
        }
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_id = ?", jobId(slug))).isEqualTo(100);
    }

    static UUID projectId() {
        return server.db().read(c -> {
            try (var ps = c.prepareStatement("SELECT id FROM projects LIMIT 1"); var rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
    }
}
