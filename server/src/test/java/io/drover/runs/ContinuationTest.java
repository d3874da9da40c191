package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Continuations (issue 18 item 4): the holder completes its run and makes the next run of the same
 * job, continuation_of and lineage_depth set, in one transaction; at DROVER_MAX_LINEAGE_DEPTH the
 * continue is refused (422) and nothing changes.
 */
@DroverTest(env = {"DROVER_PUSH_ENABLED=false", "DROVER_MAX_LINEAGE_DEPTH=5"})
class ContinuationTest {
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
        q.job("ct-chain", Map.of("priority", 7, "default_metadata", Map.of("team", "a")));
        q.job("ct-parent", Map.of());
        q.job("ct-child", Map.of());
        q.job("ct-delay", Map.of());
    }

    private static Api.Answer continueRun(String id, String worker, Map<String, ?> more) {
        var body = new java.util.HashMap<String, Object>(more);
        body.put("worker_id", worker);
        return q.post("/v1/runs/" + id + "/continue", body);
    }

    @Test
    void aChainRunsToTheDepthLimitAndTheLastContinueIsRefusedWithNothingChanged() {
        String id = q.trigger("ct-chain", Map.of("payload", Map.of("step", 0), "metadata", Map.of("k", "v")))
                .get("id").asText();
        String root = id;
        for (int depth = 1; depth <= 5; depth++) {
            JsonNode claimed = q.claimOnly("w", "ct-chain", id, 30_000);
            assertThat(claimed.get("lineage_depth").asInt()).isEqualTo(depth - 1);
            assertThat(claimed.get("payload").get("step").asInt()).isEqualTo(depth - 1);
            Api.Answer a = continueRun(id, "w", Map.of("payload", Map.of("step", depth)));
            assertThat(a.status()).as(a.text()).isEqualTo(201);
            JsonNode next = a.json();
            assertThat(next.get("continuation_of").asText()).isEqualTo(id);
            assertThat(next.get("lineage_depth").asInt()).isEqualTo(depth);
            assertThat(next.get("job_slug").asText()).isEqualTo("ct-chain");
            assertThat(next.get("status").asText()).isEqualTo("queued");
            assertThat(next.get("priority").asInt()).isEqualTo(7);
            assertThat(next.get("metadata").get("k").asText()).isEqualTo("v");
            JsonNode done = q.run(id);
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.get("result").get("continuation").asText()).isEqualTo(next.get("id").asText());
            JsonNode created = q.events(next.get("id").asText()).get(0);
            assertThat(created.get("data").get("continuation_of").asText()).isEqualTo(id);
            assertThat(created.get("data").get("lineage_depth").asInt()).isEqualTo(depth);
            id = next.get("id").asText();
        }
        // Depth 5 is the limit: its continue would make depth 6.
        q.claimOnly("w", "ct-chain", id, 30_000);
        long runs = q.count("SELECT count(*) FROM runs");
        long events = q.count("SELECT count(*) FROM run_events WHERE run_id = ?", UUID.fromString(id));
        Api.Answer refused = continueRun(id, "w", Map.of("payload", Map.of("step", 6)));
        assertError(refused, 422, "lineage_depth_exceeded");
        assertThat(q.status(id)).isEqualTo("executing");
        assertThat(q.count("SELECT count(*) FROM runs")).isEqualTo(runs);
        assertThat(q.count("SELECT count(*) FROM run_events WHERE run_id = ?", UUID.fromString(id))).isEqualTo(events);
        // The run can still complete as usual; the chain is root + 5 continuations.
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w")).status()).isEqualTo(200);
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'ct-chain'")).isEqualTo(6);
        assertThat(q.run(root).get("lineage_depth").asInt()).isZero();
    }

    @Test
    void aDelayedContinuationWaitsItsDelay() {
        String id = q.triggerId("ct-delay");
        q.claimOnly("w", "ct-delay", id, 30_000);
        Instant before = Instant.now();
        Api.Answer a = continueRun(id, "w", Map.of("delay_ms", 60_000));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        assertThat(a.json().get("status").asText()).isEqualTo("delayed");
        assertThat(RunFixture.time(a.json(), "scheduled_at")).isAfter(before.plusSeconds(59));
        assertThat(a.json().get("payload").isNull()).isTrue();
    }

    @Test
    void onlyTheHolderContinuesAndAFinishedRunCannot() {
        String id = q.triggerId("ct-delay");
        assertError(continueRun(id, "w", Map.of()), 409, "not_held");
        q.claimOnly("w", "ct-delay", id, 30_000);
        assertError(continueRun(id, "intruder", Map.of()), 409, "not_held");
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w")).status()).isEqualTo(200);
        assertError(continueRun(id, "w", Map.of()), 409, "not_held");
        assertError(continueRun(UUID.randomUUID().toString(), "w", Map.of()), 404, "not_found");
    }

    /** A child that continues is replaced by its continuation: the waiting parent waits for the chain. */
    @Test
    void aWaitingParentWaitsForItsChildsContinuation() {
        String parent = q.triggerId("ct-parent");
        q.claimOnly("p", "ct-parent", parent, 30_000);
        String child = q.trigger("ct-child", Map.of("parent_run_id", parent)).get("id").asText();
        assertThat(q.post("/v1/runs/" + parent + "/wait", Map.of("worker_id", "p", "children", true)).json()
                .get("status").asText()).isEqualTo("waiting");
        q.claimOnly("c", "ct-child", child, 30_000);
        JsonNode next = continueRun(child, "c", Map.of("payload", 2)).json();
        assertThat(next.get("parent_run_id").asText()).isEqualTo(parent);
        assertThat(q.status(parent)).isEqualTo("waiting");
        q.claimOnly("c", "ct-child", next.get("id").asText(), 30_000);
        assertThat(q.post("/v1/runs/" + next.get("id").asText() + "/complete", Map.of("worker_id", "c",
                "result", "done")).status()).isEqualTo(200);
        assertThat(q.status(parent)).isEqualTo("queued");
        JsonNode again = q.claimOnly("p", "ct-parent", parent, 30_000);
        assertThat(again.get("children")).extracting(c -> c.get("status").asText()).containsExactly("completed",
                "completed");
    }
}
