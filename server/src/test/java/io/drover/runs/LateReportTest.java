package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A report names the attempt it ends: a late report of an attempt that crashed (its lease ran
 * out) must not complete the next attempt, even when the same worker id claimed it again.
 */
@DroverTest(shared = true)
class LateReportTest {
    static Api api;

    @BeforeAll
    static void start() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "late", "queue", "late", "max_attempts", 3,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 0))).status()).isEqualTo(201);
    }

    private JsonNode claimOne(long leaseMs) {
        return Await.value("a claim", Duration.ofSeconds(20),
                () -> api.post("/v1/worker/claim", Map.of("worker_id", "same-worker", "queues", List.of("late"),
                        "max", 1, "wait_ms", 1000, "lease_ms", leaseMs)).json().get("data"),
                d -> d.size() == 1).get(0);
    }

    @Test
    void aLateReportOfACrashedAttemptIsRefused() {
        String id = api.post("/v1/jobs/late/trigger", Map.of()).json().get("id").asText();
        JsonNode first = claimOne(1000);
        assertThat(first.get("attempt").asInt()).isEqualTo(1);
        // The lease runs out; the run is retried and the same worker id claims attempt 2.
        JsonNode second = claimOne(60_000);
        assertThat(second.get("id").asText()).isEqualTo(id);
        assertThat(second.get("attempt").asInt()).isEqualTo(2);

        var late = api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "same-worker", "attempt", 1,
                "result", Map.of("from", "attempt 1")));
        assertThat(late.status()).isEqualTo(409);
        var lateBatch = api.post("/v1/worker/complete", Map.of("worker_id", "same-worker", "results",
                List.of(Map.of("run_id", id, "attempt", 1, "error", Map.of("type", "X", "message", "late")))));
        assertThat(lateBatch.json().get("data").get(0).get("ok").asBoolean()).isFalse();
        assertThat(api.get("/v1/runs/" + id).json().get("status").asText()).isEqualTo("executing");

        var current = api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "same-worker", "attempt", 2,
                "result", Map.of("from", "attempt 2")));
        assertThat(current.status()).isEqualTo(200);
        assertThat(current.json().get("result").get("from").asText()).isEqualTo("attempt 2");
    }
}
