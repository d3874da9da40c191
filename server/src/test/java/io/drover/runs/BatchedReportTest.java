package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker's report with successes and failures of several kinds, written in one transaction
 * (successes in one statement, failures in another): each item gets its own answer and each run
 * its own outcome and event, as when they were reported one by one.
 */
class BatchedReportTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void successesAndFailuresOfOneReportEachGetTheirOutcome() {
        RunFixture fx = new RunFixture(server);
        fx.job("mixed", Map.of("max_attempts", 2, "retry", Map.of("strategy", "fixed", "initial_delay_ms", 60_000)));
        fx.job("last-try", Map.of("max_attempts", 1));
        List<String> mixed = fx.triggerBatch("mixed", List.of(Map.of(), Map.of(), Map.of(), Map.of()));
        String last = fx.triggerId("last-try");
        String other = fx.triggerId("mixed");
        assertThat(fx.claim("w", "mixed", 4, 60_000, 0)).hasSize(4);
        assertThat(fx.claim("w", "last-try", 1, 60_000, 0)).hasSize(1);
        assertThat(fx.claim("someone-else", "mixed", 1, 60_000, 0)).hasSize(1); // "other"
        Map<String, ?> error = Map.of("type", "X", "message", "boom");
        Api.Answer a = fx.post("/v1/worker/complete", Map.of("worker_id", "w", "results", List.of(
                Map.of("run_id", mixed.get(0), "result", Map.of("ok", 1)),
                Map.of("run_id", mixed.get(1), "error", error),                      // retried later
                Map.of("run_id", mixed.get(2), "error", error, "retryable", false),  // failed for good
                Map.of("run_id", mixed.get(3), "result", Map.of("ok", 2)),
                Map.of("run_id", last, "error", error),                              // attempts used up
                Map.of("run_id", other, "error", error))));                          // held by another worker
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode data = a.json().get("data");
        assertThat(data).hasSize(6);
        assertThat(data.get(0).get("status").asText()).isEqualTo("completed");
        assertThat(data.get(1).get("status").asText()).isEqualTo("delayed");
        assertThat(data.get(2).get("status").asText()).isEqualTo("failed");
        assertThat(data.get(3).get("status").asText()).isEqualTo("completed");
        assertThat(data.get(4).get("status").asText()).isEqualTo("dead_letter");
        assertThat(data.get(5).get("ok").asBoolean()).isFalse();
        assertThat(data.get(5).get("error").get("code").asText()).isEqualTo("not_held");

        assertThat(fx.status(mixed.get(1))).isEqualTo("delayed");
        assertThat(fx.run(mixed.get(1)).get("error").get("message").asText()).isEqualTo("boom");
        assertThat(fx.typedChain(mixed.get(1))).last().isEqualTo("attempt_failed:executing->delayed");
        assertThat(fx.typedChain(mixed.get(2))).last().isEqualTo("failed:executing->failed");
        assertThat(fx.typedChain(last)).last().isEqualTo("dead_lettered:executing->dead_letter");
        assertThat(fx.status(other)).as("a run held by another worker is left alone").isEqualTo("executing");
    }

    @Test
    void aFailureOfARunItsWorkerPausedFailsItWithoutRetry() {
        RunFixture fx = new RunFixture(server);
        fx.job("paused", Map.of("max_attempts", 3));
        String id = fx.triggerId("paused");
        fx.claimOnly("w", "paused", id, 60_000);
        Api.Answer wait = fx.post("/v1/runs/" + id + "/wait", Map.of("worker_id", "w", "timeout_secs", 600));
        assertThat(wait.status()).as(wait.text()).isEqualTo(200);
        Api.Answer a = fx.post("/v1/worker/complete", Map.of("worker_id", "w", "results",
                List.of(Map.of("run_id", id, "error", Map.of("type", "X", "message", "gave up")))));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        assertThat(a.json().get("data").get(0).get("status").asText()).isEqualTo("failed");
        assertThat(fx.typedChain(id)).last().isEqualTo("failed:waiting->failed");
    }
}
