package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-step retry strategies (issue 18 item 9): a step's {@code retry} takes the job retry policy's
 * fields, and each step attempt's run is due after the delay the strategy gives for the attempt
 * before it. Every run of a retry is made with its delay from the same transaction time, so
 * {@code scheduled_at - created_at} is that delay exactly.
 */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class StepRetryStrategyTest {
    static TestServer server;
    static Api api;
    static StepWorker worker;

    @BeforeAll
    static void start() {
        job(api, "sr-broken", "sr");
        worker = new StepWorker(api, "sr", run -> {
            throw new IllegalStateException("always broken");
        });
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    /** The delays, in ms, between each of the workflow run's step runs being made and being due. */
    private static List<Long> delays(String workflowRunId) {
        return server.db().read(c -> {
            List<Long> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT (EXTRACT(EPOCH FROM scheduled_at - created_at) * 1000)"
                    + "::bigint FROM runs WHERE workflow_run_id = ? ORDER BY id")) {
                ps.setObject(1, UUID.fromString(workflowRunId));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getLong(1));
                    }
                }
            }
            return out;
        });
    }

    @Test
    void aCustomStrategysDelaysAreFollowedAttemptByAttempt() {
        workflow(api, Map.of("slug", "sr-custom", "steps", List.of(Map.of("id", "s", "job", "sr-broken",
                "retry", Map.of("max_attempts", 4, "strategy", "custom", "delays_ms", List.of(300, 700))))));
        String id = trigger(api, "sr-custom", Map.of());
        assertThat(awaitFinal(api, id).get("status").asText()).isEqualTo("failed");
        // attempt 1 at once; after attempt 1: 300 ms; after 2: 700 ms; after 3: the last delay again
        assertThat(delays(id)).containsExactly(0L, 300L, 700L, 700L);
    }

    @Test
    void anExponentialStrategyDoublesUpToItsCap() {
        workflow(api, Map.of("slug", "sr-exp", "steps", List.of(Map.of("id", "s", "job", "sr-broken",
                "retry", Map.of("max_attempts", 4, "strategy", "exponential", "initial_delay_ms", 200,
                        "max_delay_ms", 500, "jitter", false)))));
        String id = trigger(api, "sr-exp", Map.of());
        assertThat(awaitFinal(api, id).get("status").asText()).isEqualTo("failed");
        assertThat(delays(id)).containsExactly(0L, 200L, 400L, 500L);
        // The definition keeps the policy as given, defaults filled in.
        String definition = api.get("/v1/workflows/sr-exp").text();
        assertThat(definition).contains("\"strategy\":\"exponential\"").contains("\"initial_delay_ms\":200")
                .contains("\"max_delay_ms\":500").contains("\"max_attempts\":4");
    }

    @Test
    void theFixedDelayOfOldDefinitionsStillWorks() {
        workflow(api, Map.of("slug", "sr-fixed", "steps", List.of(Map.of("id", "s", "job", "sr-broken",
                "retry", Map.of("max_attempts", 2, "delay_ms", 250)))));
        String id = trigger(api, "sr-fixed", Map.of());
        assertThat(awaitFinal(api, id).get("status").asText()).isEqualTo("failed");
        assertThat(delays(id)).containsExactly(0L, 250L);
    }

    @Test
    void badRetryValuesAre422AndMakeNoWorkflow() {
        record Bad(Map<String, Object> retry, String field) {}
        List<Bad> bad = List.of(
                new Bad(Map.of("strategy", "sometimes"), "steps[0].retry.strategy"),
                new Bad(Map.of("strategy", "custom"), "steps[0].retry.delays_ms"),
                new Bad(Map.of("delay_ms", 10, "strategy", "fixed"), "steps[0].retry.delay_ms"),
                new Bad(Map.of("initial_delay_ms", 1000, "max_delay_ms", 10), "steps[0].retry.max_delay_ms"),
                new Bad(Map.of("delays_ms", List.of(-1)), "steps[0].retry.delays_ms"),
                new Bad(Map.of("initial_delay_ms", -5), "steps[0].retry.initial_delay_ms"),
                new Bad(Map.of("backoff", "x"), "steps[0].retry.backoff"));
        for (Bad b : bad) {
            Api.Answer a = api.post("/v1/workflows", Map.of("slug", "sr-bad", "steps", List.of(Map.of("id", "s",
                    "job", "sr-broken", "retry", b.retry()))));
            assertThat(a.status()).as("%s: %s", b.retry(), a.text()).isEqualTo(422);
            assertThat(a.json().get("error").get("details").get("field").asText()).as(a.text()).isEqualTo(b.field());
        }
        Api.Answer type = api.post("/v1/workflows", Map.of("slug", "sr-bad", "steps", List.of(Map.of("id", "s",
                "job", "sr-broken", "retry", Map.of("jitter", "yes")))));
        assertThat(type.status()).as(type.text()).isEqualTo(400);
        Api.Answer notAJob = api.post("/v1/workflows", Map.of("slug", "sr-bad", "steps", List.of(Map.of("id", "s",
                "type", "sleep", "duration_secs", 1, "retry", Map.of("strategy", "fixed")))));
        assertThat(notAJob.status()).as(notAJob.text()).isEqualTo(422);
        assertThat(api.get("/v1/workflows/sr-bad").status()).isEqualTo(404);
    }
}
