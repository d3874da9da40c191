package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checkpoints and tool calls of runs: by the holder only, kept in order, carried to the next attempt's claim. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class RunRecordsTest {
    static final Map<String, Object> RETRY_AT_ONCE = Map.of("strategy", "fixed", "initial_delay_ms", 0);
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    static Api.Answer checkpoint(String id, String worker, Object state) {
        Map<String, Object> body = new HashMap<>();
        body.put("worker_id", worker);
        body.put("state", state);
        return q.post("/v1/runs/" + id + "/checkpoints", body);
    }

    @Test
    void theLatestCheckpointSurvivesAWorkerThatDiesAndReachesTheNextAttempt() {
        q.job("cp-kill", Map.of("max_attempts", 3, "retry", RETRY_AT_ONCE));
        String id = q.triggerId("cp-kill");
        JsonNode first = q.claimOnly("doomed", "cp-kill", id, 1_000);
        assertThat(first.has("checkpoint")).as("a first attempt has no checkpoint").isFalse();
        Api.Answer a = checkpoint(id, "doomed", Map.of("done", 1));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        assertThat(a.json().get("seq").asInt()).isEqualTo(1);
        Api.Answer b = checkpoint(id, "doomed", Map.of("done", 2, "cursor", "page-3"));
        assertThat(b.json().get("seq").asInt()).isEqualTo(2);
        // the worker is killed: no heartbeat, no report; the reaper takes the run back after its lease

        JsonNode second = q.claimOnly("rescuer", "cp-kill", id, 60_000);
        assertThat(second.get("attempt").asInt()).isEqualTo(2);
        JsonNode cp = second.get("checkpoint");
        assertThat(cp).as("claim: %s", second).isNotNull();
        assertThat(cp.get("seq").asInt()).isEqualTo(2);
        assertThat(cp.get("attempt").asInt()).isEqualTo(1);
        assertThat(cp.get("state")).isEqualTo(json("{\"done\":2,\"cursor\":\"page-3\"}"));
        assertThat(q.typedChain(id)).contains("attempt_crashed:executing->delayed");

        // the new holder checkpoints on; the dead one is refused
        assertError(checkpoint(id, "doomed", Map.of("done", 9)), 409, "not_held");
        assertThat(checkpoint(id, "rescuer", Map.of("done", 3)).json().get("seq").asInt()).isEqualTo(3);
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "rescuer")).status()).isEqualTo(200);
        assertError(checkpoint(id, "rescuer", Map.of("done", 4)), 409, "not_held");
    }

    @Test
    void aRunKeepsOnlyItsLatestTenCheckpoints() {
        q.job("cp-keep", Map.of());
        String id = q.triggerId("cp-keep");
        q.claimOnly("w", "cp-keep", id, 60_000);
        for (int i = 1; i <= 13; i++) {
            assertThat(checkpoint(id, "w", i).status()).isEqualTo(201);
        }
        assertThat(q.count("SELECT count(*) FROM run_checkpoints WHERE run_id = ?", UUID.fromString(id))).isEqualTo(10);
        assertThat(q.count("SELECT min(seq) FROM run_checkpoints WHERE run_id = ?", UUID.fromString(id))).isEqualTo(4);
        // released, then claimed again: the claim carries the latest
        assertThat(q.post("/v1/runs/" + id + "/release", Map.of("worker_id", "w")).status()).isEqualTo(200);
        JsonNode again = q.claimOnly("w2", "cp-keep", id, 60_000);
        assertThat(again.get("checkpoint").get("state").asInt()).isEqualTo(13);
        assertThat(again.get("checkpoint").get("seq").asInt()).isEqualTo(13);
    }

    @Test
    void checkpointsRefuseBadInputAndChangeNothing() {
        q.job("cp-bad", Map.of());
        String id = q.triggerId("cp-bad");
        q.claimOnly("w", "cp-bad", id, 60_000);
        assertError(q.post("/v1/runs/" + id + "/checkpoints", Map.of("worker_id", "w")), 422, "validation_failed");
        assertError(q.post("/v1/runs/" + id + "/checkpoints", Map.of("state", 1)), 422, "validation_failed");
        assertError(q.post("/v1/runs/" + id + "/checkpoints", Map.of("worker_id", "w", "state", 1, "x", 2)), 422,
                "unknown_field");
        assertError(checkpoint(id, "w", "x".repeat(RunRecordRoutes.MAX_STATE_BYTES)), 413, "value_too_large");
        assertError(checkpoint(id, "other", 1), 409, "not_held");
        assertError(checkpoint(UUID.randomUUID().toString(), "w", 1), 404, "not_found");
        assertError(q.api.post("/v1/runs/nope/checkpoints", Map.of("worker_id", "w", "state", 1)), 404, "not_found");
        assertThat(q.count("SELECT count(*) FROM run_checkpoints WHERE run_id = ?", UUID.fromString(id))).isZero();
        // a JSON null is a state like any other
        assertThat(checkpoint(id, "w", null).status()).isEqualTo(201);
    }

    @Test
    void toolCallsAreRecordedByTheHolderAndListedInOrderPageByPage() {
        q.job("tools", Map.of());
        String id = q.triggerId("tools");
        q.claimOnly("w", "tools", id, 60_000);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Map<String, Object> call = new HashMap<>();
            call.put("worker_id", "w");
            call.put("name", "search-" + i);
            call.put("input", Map.of("q", "term " + i));
            call.put("output", i == 3 ? null : Map.of("hits", i));
            if (i == 3) {
                call.put("error", Map.of("type", "timeout", "message", "search took too long"));
            }
            call.put("duration_ms", 10 + i);
            Api.Answer a = q.post("/v1/runs/" + id + "/tool-calls", call);
            assertThat(a.status()).as(a.text()).isEqualTo(201);
            assertThat(a.json().get("attempt").asInt()).isEqualTo(1);
            ids.add(a.json().get("id").asText());
        }
        Api.Answer page1 = q.api.get("/v1/runs/" + id + "/tool-calls?limit=2");
        assertThat(page1.status()).as(page1.text()).isEqualTo(200);
        List<JsonNode> all = new ArrayList<>();
        page1.json().get("data").forEach(all::add);
        String cursor = page1.json().get("next_cursor").asText();
        while (cursor != null) {
            Api.Answer next = q.api.get("/v1/runs/" + id + "/tool-calls?limit=2&cursor=" + cursor);
            next.json().get("data").forEach(all::add);
            cursor = next.json().get("next_cursor").isNull() ? null : next.json().get("next_cursor").asText();
        }
        assertThat(all).extracting(n -> n.get("id").asText()).containsExactlyElementsOf(ids);
        assertThat(all).extracting(n -> n.get("name").asText())
                .containsExactly("search-0", "search-1", "search-2", "search-3", "search-4");
        JsonNode failed = all.get(3);
        assertThat(failed.get("output").isNull()).isTrue();
        assertThat(failed.get("error").get("type").asText()).isEqualTo("timeout");
        assertThat(failed.get("duration_ms").asLong()).isEqualTo(13);
        assertThat(all.get(1).get("input").get("q").asText()).isEqualTo("term 1");
        assertThat(all.get(1).get("output").get("hits").asInt()).isEqualTo(1);
    }

    @Test
    void toolCallsRefuseOtherWorkersAndBadInput() {
        q.job("tools-bad", Map.of());
        String id = q.triggerId("tools-bad");
        q.claimOnly("w", "tools-bad", id, 60_000);
        String path = "/v1/runs/" + id + "/tool-calls";
        assertError(q.post(path, Map.of("worker_id", "other", "name", "x")), 409, "not_held");
        assertError(q.post(path, Map.of("worker_id", "w")), 422, "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w", "name", "x", "duration_ms", -1)), 422, "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w", "name", "x", "duration_ms", "slow")), 400, "invalid_type");
        assertError(q.post(path, Map.of("worker_id", "w", "name", "x", "input", "y".repeat(300_000))), 413,
                "value_too_large");
        assertError(q.post("/v1/runs/" + UUID.randomUUID() + "/tool-calls", Map.of("worker_id", "w", "name", "x")),
                404, "not_found");
        assertError(q.api.get("/v1/runs/" + UUID.randomUUID() + "/tool-calls"), 404, "not_found");
        assertError(q.api.get(path + "?cursor=not-a-cursor"), 400, "invalid_cursor");
        assertError(q.api.get(path + "?limit=0"), 400, "invalid_parameter");
        assertThat(q.count("SELECT count(*) FROM run_tool_calls WHERE run_id = ?", UUID.fromString(id))).isZero();
    }

    @Test
    void viewersSeeToolCallsRedactedAsPayloadsAre() {
        q.job("tools-redact", Map.of());
        String id = q.triggerId("tools-redact");
        q.claimOnly("w", "tools-redact", id, 60_000);
        q.post("/v1/runs/" + id + "/tool-calls", Map.of("worker_id", "w", "name", "login",
                "input", Map.of("user", "ada", "password", "hunter2"), "output", Map.of("api_key", "k-123")));
        Api viewer = q.api.withKey(q.api.post("/v1/api-keys", Map.of("name", "tool-viewer", "role", "viewer")).json()
                .get("key").asText());
        Api.Answer seen = viewer.get("/v1/runs/" + id + "/tool-calls");
        assertThat(seen.status()).as(seen.text()).isEqualTo(200);
        assertThat(seen.text()).doesNotContain("hunter2").doesNotContain("k-123");
        assertThat(seen.json().at("/data/0/input/user").asText()).isEqualTo("ada");
        assertThat(q.api.get("/v1/runs/" + id + "/tool-calls").json().at("/data/0/input/password").asText())
                .isEqualTo("hunter2");
    }

    private static JsonNode json(String text) {
        return io.drover.http.Json.read(text);
    }
}
