package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server's side of the SDK worker traps (issue 15): a claim that names its jobs takes only
 * those and hides nothing from other claims, the batched heartbeat says what a lost run is now,
 * a read-only poll tells a worker which of its runs were canceled, and a run that succeeds after
 * a failed attempt carries no error.
 */
class WorkerTrapsTest {
    static TestServer server;
    static RunStore runs;
    static UUID project;
    final AtomicLong clock = new AtomicLong();
    RunFixture fx;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        runs = server.server().runs();
        project = ClaimCursorTest.projectOf(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void setUp() {
        fx = new RunFixture(server);
    }

    private static List<String> ids(Api.Answer claim) {
        assertThat(claim.status()).as("claim: %s", claim.text()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        claim.json().get("data").forEach(r -> out.add(r.get("id").asText()));
        return out;
    }

    private Api.Answer claim(String worker, String queue, List<String> jobs, int max) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("worker_id", worker, "queues", List.of(queue),
                "max", max, "wait_ms", 0));
        if (jobs != null) {
            body.put("jobs", jobs);
        }
        return fx.post("/v1/worker/claim", body);
    }

    private List<String> trigger(String slug, int n) {
        return fx.triggerBatch(slug, IntStream.range(0, n).<Map<String, ?>>mapToObj(i -> Map.of()).toList());
    }

    @Test
    void aClaimThatNamesItsJobsTakesOnlyThoseAndLeavesTheOthersQueued() {
        fx.job("mixed-old", Map.of("queue", "mixed"));
        fx.job("mixed-new", Map.of("queue", "mixed"));
        List<String> newRuns = trigger("mixed-new", 3);
        List<String> oldRuns = trigger("mixed-old", 2);

        assertThat(ids(claim("old-worker", "mixed", List.of("mixed-old"), 10)))
                .as("only the jobs it has handlers for").containsExactlyElementsOf(oldRuns);
        for (String id : newRuns) {
            JsonNode run = fx.run(id);
            assertThat(run.get("status").asText()).isEqualTo("queued");
            assertThat(run.get("attempt").asInt()).as("no attempt used").isZero();
        }
        assertThat(ids(claim("new-worker", "mixed", List.of("mixed-new", "mixed-old"), 10)))
                .containsExactlyElementsOf(newRuns);
    }

    /**
     * With the cursor clock held still, a filtered claim that moved the queue's shared cursor past
     * the runs it skipped would hide them from every plain claim on this node (until a full walk,
     * which a still clock never makes).
     */
    @Test
    void aFilteredClaimDoesNotMoveTheCursorOfOtherClaimsPastRunsItSkipped() {
        runs.setClaimCursors(new ClaimCursors(clock::get));
        try {
            fx.job("cursor-a", Map.of("queue", "cursor-q"));
            fx.job("cursor-b", Map.of("queue", "cursor-q"));
            UUID proj = project;
            List<String> b = trigger("cursor-b", 3);
            List<String> a = trigger("cursor-a", 2);
            // a plain full walk: its cursor sits on the first b run
            assertThat(claimIds(proj, null, 1)).containsExactly(b.get(0));
            assertThat(claimIds(proj, List.of("cursor-a"), 10)).containsExactlyElementsOf(a);
            assertThat(claimIds(proj, null, 10)).as("the b runs the filtered claim walked past")
                    .containsExactly(b.get(1), b.get(2));
            // the filtered claim's own cursor: a run released behind it is still found
            runs.release(proj, UUID.fromString(a.get(0)), "w");
            assertThat(claimIds(proj, List.of("cursor-a"), 10)).containsExactly(a.get(0));
        } finally {
            runs.setClaimCursors(new ClaimCursors());
        }
    }

    private static List<String> claimIds(UUID proj, List<String> jobs, int max) {
        return runs.claim(proj, "w", List.of("cursor-q"), jobs, max, 60_000).stream().map(r -> r.id().toString())
                .toList();
    }

    @Test
    void badJobListsAreRefusedAndChangeNothing() {
        fx.job("bad-jobs", Map.of());
        String id = fx.triggerId("bad-jobs");
        assertError(claim("w", "bad-jobs", List.of(), 10), 422, "validation_failed");
        assertError(fx.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("bad-jobs"),
                "jobs", "bad-jobs")), 400, "invalid_type");
        assertError(fx.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("bad-jobs"),
                "jobs", List.of(1))), 400, "invalid_type");
        assertThat(fx.status(id)).isEqualTo("queued");
    }

    @Test
    void theBatchedHeartbeatSaysWhatALostRunIsNow() {
        fx.job("hb-status", Map.of());
        List<String> ids = trigger("hb-status", 2);
        assertThat(ids(claim("hb-w", "hb-status", null, 2))).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(fx.post("/v1/runs/" + ids.get(0) + "/cancel", Map.of()).status()).isEqualTo(200);
        Api.Answer a = fx.post("/v1/worker/heartbeat", Map.of("worker_id", "hb-w", "run_ids", ids,
                "lease_ms", 30_000));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode canceled = a.json().get("data").get(0);
        JsonNode held = a.json().get("data").get(1);
        assertThat(canceled.get("ok").asBoolean()).isFalse();
        assertThat(canceled.get("status").asText()).isEqualTo("canceled");
        assertThat(held.get("ok").asBoolean()).isTrue();
        assertThat(held.get("status").asText()).isEqualTo("executing");
    }

    @Test
    void aWorkerCanAskWhichOfItsRunsItStillHolds() {
        fx.job("held-poll", Map.of());
        List<String> ids = trigger("held-poll", 2);
        assertThat(ids(claim("poll-w", "held-poll", null, 2))).hasSize(2);
        assertThat(fx.post("/v1/runs/" + ids.get(1) + "/cancel", Map.of()).status()).isEqualTo(200);
        String unknown = UUID.randomUUID().toString();
        Api.Answer a = fx.post("/v1/worker/runs", Map.of("worker_id", "poll-w",
                "run_ids", List.of(ids.get(0), ids.get(1), unknown)));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode data = a.json().get("data");
        assertThat(data.get(0).get("held").asBoolean()).isTrue();
        assertThat(data.get(0).get("status").asText()).isEqualTo("executing");
        assertThat(data.get(1).get("held").asBoolean()).isFalse();
        assertThat(data.get(1).get("status").asText()).isEqualTo("canceled");
        assertThat(data.get(2).get("held").asBoolean()).isFalse();
        assertThat(data.get(2).get("status").isNull()).isTrue();
        // another worker holds none of them; the lease was not extended (read only)
        Api.Answer other = fx.post("/v1/worker/runs", Map.of("worker_id", "other", "run_ids", List.of(ids.get(0))));
        assertThat(other.json().get("data").get(0).get("held").asBoolean()).isFalse();
        assertError(fx.post("/v1/worker/runs", Map.of("worker_id", "poll-w", "run_ids", List.of("nope"))), 422,
                "validation_failed");
    }

    @Test
    void aRunThatSucceedsAfterAFailedAttemptHasNoErrorButItsHistoryKeepsIt() {
        fx.job("second-try", Map.of("max_attempts", 3, "retry", Map.of("strategy", "fixed", "initial_delay_ms", 0)));
        String id = fx.triggerId("second-try");
        fx.claimOnly("w1", "second-try", id, 30_000);
        Api.Answer failed = fx.post("/v1/runs/" + id + "/fail", Map.of("worker_id", "w1",
                "error", Map.of("type", "Boom", "message", "first attempt broke"), "retryable", true));
        assertThat(failed.status()).as(failed.text()).isEqualTo(200);
        assertThat(failed.json().get("error").get("type").asText()).isEqualTo("Boom");
        fx.claimOnly("w2", "second-try", id, 30_000);
        // the batched completion, the SDK's way
        Api.Answer done = fx.post("/v1/worker/complete", Map.of("worker_id", "w2",
                "results", List.of(Map.of("run_id", id, "result", Map.of("ok", true)))));
        assertThat(done.status()).as(done.text()).isEqualTo(200);
        JsonNode run = fx.api.awaitStatus("/v1/runs/" + id, "completed");
        assertThat(run.get("error").isNull()).as("error of a completed run: %s", run).isTrue();
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        JsonNode attemptFailed = fx.events(id).stream().filter(e -> e.get("type").asText().equals("attempt_failed"))
                .findFirst().orElseThrow();
        assertThat(attemptFailed.get("data").get("error").get("message").asText()).isEqualTo("first attempt broke");
    }
}
