package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batch cancel and replay (POST /v1/runs/cancel|replay, GET /v1/batches/{id}): refused unless
 * confirm_count is what the filter matches now; worked off in the background, chunk by chunk,
 * through the run state machine; resumed by another node after a restart; racing claims, every
 * run ends canceled or completed, never both.
 */
class BatchOperationsTest {
    static TestServer server;
    static TestServer otherNode;
    static RunFixture q;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false", "DROVER_POLL_INTERVAL_MS", "100"));
        otherNode = TestServer.startOn(server.jdbcUrl(),
                Map.of("DROVER_PUSH_ENABLED", "false", "DROVER_POLL_INTERVAL_MS", "100"));
        q = new RunFixture(server);
    }

    @AfterAll
    static void stop() {
        if (otherNode != null) {
            otherNode.close();
        }
        server.close();
    }

    static List<String> fill(String slug, int n) {
        List<String> ids = new ArrayList<>();
        for (int done = 0; done < n; done += 1000) {
            List<Map<String, ?>> batch = new ArrayList<>();
            for (int i = done; i < Math.min(n, done + 1000); i++) {
                batch.add(Map.of("payload", Map.of("n", i)));
            }
            ids.addAll(q.triggerBatch(slug, batch));
        }
        return ids;
    }

    static Api.Answer batch(String kind, Map<String, ?> filter, int confirm) {
        return q.post("/v1/runs/" + kind, Map.of("filter", filter, "confirm_count", confirm));
    }

    static JsonNode awaitDone(String batchId) {
        return Await.value("batch " + batchId + " done", Duration.ofSeconds(120),
                () -> q.api.get("/v1/batches/" + batchId).json(), b -> b.get("status").asText().equals("done"));
    }

    @Test
    void cancelByFilterChangesOnlyTheMatchedRunsWithAnEventEach() {
        q.job("bc-cancel", Map.of());
        q.job("bc-other", Map.of("queue", "bc-cancel"));
        fill("bc-cancel", 450);
        fill("bc-other", 20);
        Api.Answer made = batch("cancel", Map.of("job", "bc-cancel", "status", "queued"), 450);
        assertThat(made.status()).as(made.text()).isEqualTo(202);
        assertThat(made.json().get("matched").asInt()).isEqualTo(450);
        JsonNode b = awaitDone(made.json().get("batch_id").asText());
        assertThat(b.get("matched").asInt()).isEqualTo(450);
        assertThat(b.get("done").asInt()).isEqualTo(450);
        assertThat(b.get("failed").asInt()).isZero();
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-cancel' AND status = 'canceled'")).isEqualTo(450);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-other' AND status = 'queued'")).isEqualTo(20);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_slug = 'bc-cancel' AND e.to_status = 'canceled'")).isEqualTo(450);
        assertThat(q.count("SELECT count(*) FROM audit_log WHERE action = 'runs.batch_cancel'")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aConfirmCountThatIsNotTheCountNowIsRefusedWithTheCount() {
        q.job("bc-confirm", Map.of());
        fill("bc-confirm", 7);
        long batches = q.count("SELECT count(*) FROM batches");
        Api.Answer refused = batch("cancel", Map.of("job", "bc-confirm"), 6);
        RunFixture.assertError(refused, 409, "confirm_count_mismatch");
        assertThat(refused.json().get("error").get("details").get("matched").asInt()).isEqualTo(7);
        assertThat(refused.json().get("error").get("message").asText()).contains("7");
        RunFixture.assertError(batch("replay", Map.of("job", "bc-confirm"), 8), 409, "confirm_count_mismatch");
        assertThat(q.count("SELECT count(*) FROM batches")).isEqualTo(batches);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-confirm' AND status = 'queued'")).isEqualTo(7);
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() {
        long batches = q.count("SELECT count(*) FROM batches");
        RunFixture.assertError(q.post("/v1/runs/cancel", Map.of("confirm_count", 1)), 422, "validation_failed");
        RunFixture.assertError(q.post("/v1/runs/cancel", Map.of("filter", Map.of())), 422, "validation_failed");
        RunFixture.assertError(batch("cancel", Map.of("status", "sleeping"), 0), 422, "validation_failed");
        RunFixture.assertError(batch("cancel", Map.of("job", "no-such-job"), 0), 422, "validation_failed");
        RunFixture.assertError(batch("cancel", Map.of("colour", "red"), 0), 422, "unknown_field");
        RunFixture.assertError(batch("replay", Map.of("created_after", "yesterday"), 0), 422, "validation_failed");
        RunFixture.assertError(batch("replay", Map.of("created_after", "2026-01-02T00:00:00Z",
                "created_before", "2026-01-01T00:00:00Z"), 0), 422, "validation_failed");
        RunFixture.assertError(q.post("/v1/runs/cancel", Map.of("filter", Map.of(), "confirm_count", -1)), 422,
                "validation_failed");
        assertThat(q.post("/v1/runs/cancel", Map.of("filter", "all", "confirm_count", 1)).status()).isEqualTo(400);
        assertThat(q.api.get("/v1/batches/not-an-id").status()).isIn(400, 404);
        RunFixture.assertError(q.api.get("/v1/batches/0190a000-0000-7000-8000-000000000000"), 404, "not_found");
        assertThat(q.count("SELECT count(*) FROM batches")).isEqualTo(batches);
    }

    @Test
    void replayReplaysWhatCanBeAndCountsTheRestAsFailed() {
        q.job("bc-replay", Map.of());
        fill("bc-replay", 5);
        List<JsonNode> claimed = q.claim("bc-w", "bc-replay", 3, 60_000, 0);
        assertThat(claimed).hasSize(3);
        List<Map<String, Object>> results = new ArrayList<>();
        claimed.forEach(r -> results.add(Map.of("run_id", r.get("id").asText(), "result", Map.of())));
        assertThat(q.post("/v1/worker/complete", Map.of("worker_id", "bc-w", "results", results)).status())
                .isEqualTo(200);
        Api.Answer made = batch("replay", Map.of("job", "bc-replay"), 5);
        assertThat(made.status()).as(made.text()).isEqualTo(202);
        JsonNode b = awaitDone(made.json().get("batch_id").asText());
        assertThat(b.get("done").asInt()).isEqualTo(3);
        assertThat(b.get("failed").asInt()).isEqualTo(2); // still queued: not replayable
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-replay' AND replay_of IS NOT NULL "
                + "AND status = 'queued'")).isEqualTo(3);
        assertThat(q.count("SELECT count(*) FROM audit_log WHERE action = 'runs.batch_replay'")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aBatchLeftHalfDoneByANodeIsFinishedByAnotherAfterARestart() {
        q.job("bc-restart", Map.of());
        List<String> ids = fill("bc-restart", 1000);
        server.server().batchWorker().stop();
        otherNode.server().batchWorker().stop();
        TestServer first = TestServer.startOn(server.jdbcUrl(), Map.of("DROVER_PUSH_ENABLED", "false"));
        String batchId;
        try {
            first.server().batchWorker().stop();
            Api.Answer made = new Api(first).post("/v1/runs/cancel",
                    Map.of("filter", Map.of("job", "bc-restart"), "confirm_count", 1000));
            assertThat(made.status()).as(made.text()).isEqualTo(202);
            batchId = made.json().get("batch_id").asText();
            assertThat(first.server().batchWorker().workOneChunk()).isTrue();
            assertThat(first.server().batchWorker().workOneChunk()).isTrue();
        } finally {
            first.close();
        }
        JsonNode half = q.api.get("/v1/batches/" + batchId).json();
        assertThat(half.get("status").asText()).isEqualTo("running");
        assertThat(half.get("done").asInt()).isEqualTo(400);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-restart' AND status = 'canceled'")).isEqualTo(400);
        // another node (a restart) goes on after the last committed chunk
        TestServer second = TestServer.startOn(server.jdbcUrl(), Map.of("DROVER_PUSH_ENABLED", "false"));
        try {
            JsonNode b = awaitDone(batchId);
            assertThat(b.get("done").asInt()).isEqualTo(1000);
            assertThat(b.get("failed").asInt()).isZero();
        } finally {
            second.close();
            server.server().batchWorker().start();
            otherNode.server().batchWorker().start();
        }
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-restart' AND status = 'canceled'")).isEqualTo(1000);
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_slug = 'bc-restart' AND e.to_status = 'canceled'")).isEqualTo(ids.size());
    }

    @Test
    void aBatchCancelRacingClaimsLeavesEveryRunCanceledOrCompletedNeverBoth() throws Exception {
        int n = 3000;
        q.job("bc-race", Map.of());
        fill("bc-race", n);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> workers = new ArrayList<>();
        try {
            for (int w = 0; w < 6; w++) {
                String worker = "bc-race-" + w;
                Api api = new Api(w % 2 == 0 ? server : otherNode);
                workers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        Api.Answer claimed = api.post("/v1/worker/claim", Map.of("worker_id", worker,
                                "queues", List.of("bc-race"), "max", 20, "wait_ms", 100));
                        assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
                        List<Map<String, Object>> results = new ArrayList<>();
                        claimed.json().get("data").forEach(r -> results.add(Map.of("run_id", r.get("id").asText(),
                                "result", Map.of())));
                        if (!results.isEmpty()) {
                            Api.Answer r = api.post("/v1/worker/complete", Map.of("worker_id", worker, "results",
                                    results));
                            assertThat(r.status()).as(r.text()).isEqualTo(200);
                        }
                    }
                    return null;
                }));
            }
            // the count the caller confirms is taken just before: claims go on meanwhile, and the
            // batch is made only when the count is still right
            Api.Answer made;
            do {
                long queued = q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-race' AND status = 'queued'");
                made = batch("cancel", Map.of("job", "bc-race", "status", "queued"), (int) queued);
            } while (made.status() == 409);
            assertThat(made.status()).as(made.text()).isEqualTo(202);
            JsonNode b = awaitDone(made.json().get("batch_id").asText());
            stop.set(true);
            for (Future<?> f : workers) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(b.get("done").asInt() + b.get("failed").asInt()).isEqualTo(b.get("matched").asInt());
            assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-race' AND status = 'canceled'"))
                    .isEqualTo(b.get("done").asInt());
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        // what the batch did not cancel was claimed: finish it
        Await.until("every bc-race run settled", Duration.ofSeconds(60), () -> {
            for (JsonNode r : q.claim("bc-race-last", "bc-race", 100, 60_000, 0)) {
                q.post("/v1/worker/complete", Map.of("worker_id", "bc-race-last", "results",
                        List.of(Map.of("run_id", r.get("id").asText(), "result", Map.of()))));
            }
            return q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-race' AND status IN ('queued', 'executing')") == 0;
        });
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-race' AND status NOT IN ('canceled', 'completed')"))
                .isZero();
        assertThat(q.count("SELECT count(*) FROM runs r WHERE r.job_slug = 'bc-race' AND "
                + "EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = r.id AND e.to_status = 'canceled') AND "
                + "EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = r.id AND e.to_status = 'completed')")).isZero();
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'bc-race'")).isEqualTo(n);
    }
}
