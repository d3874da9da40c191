package io.drover.runs;

import static io.drover.runs.RunFixture.time;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A failed attempt waits the job's retry delay ({@code next_retry_at}) before it can be claimed again. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class RetryDelayTest {
    /** Timestamps are stored in microseconds. */
    static final Duration ROUNDING = Duration.ofMillis(1);

    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    /** What a failure did: the run after it, and the window of time in which the server handled it. */
    record Failure(JsonNode run, Instant before, Instant after) {
        Instant retryAt() {
            return time(run, "next_retry_at");
        }

        /** Asserts the retry is due {@code delayMs} after the failure, within the request's own window. */
        void assertDelay(long minMs, long maxMs) {
            assertThat(run.get("status").asText()).isEqualTo("delayed");
            assertThat(retryAt()).isEqualTo(time(run, "scheduled_at"));
            assertThat(retryAt()).isBetween(before.plusMillis(minMs).minus(ROUNDING), after.plusMillis(maxMs).plus(ROUNDING));
        }
    }

    static Failure fail(String id, String worker) {
        Instant before = Instant.now();
        Api.Answer a = q.post("/v1/runs/" + id + "/fail", Map.of("worker_id", worker,
                "error", Map.of("type", "Flaky", "message", "try again")));
        Instant after = Instant.now();
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        return new Failure(a.json(), before, after);
    }

    /** The run is not claimable before its retry time, and is claimed (attempt n+1) at or after it. */
    static JsonNode notBeforeButAfter(String slug, String id, Instant retryAt, int nextAttempt) {
        if (Instant.now().isBefore(retryAt.minusMillis(200))) {
            assertThat(q.claim("w", slug, 10, 60_000, 0)).as("claimable before next_retry_at").isEmpty();
        }
        JsonNode again = q.claimOnly("w", slug, id, 60_000);
        assertThat(again.get("attempt").asInt()).isEqualTo(nextAttempt);
        assertThat(time(again, "started_at")).as("claimed only once due").isAfterOrEqualTo(retryAt);
        assertThat(again.get("next_retry_at").isNull()).isTrue();
        return again;
    }

    @Test
    void aFixedDelayIsHonoured() {
        q.job("retry-fixed", Map.of("max_attempts", 3,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 1_500)));
        String id = q.triggerId("retry-fixed");
        q.claimOnly("w", "retry-fixed", id, 60_000);
        Failure f = fail(id, "w");
        f.assertDelay(1_500, 1_500);
        assertThat(f.run().get("error").get("type").asText()).isEqualTo("Flaky");
        notBeforeButAfter("retry-fixed", id, f.retryAt(), 2);
        assertThat(q.typedChain(id)).containsExactly("created:_->queued", "claimed:queued->executing",
                "attempt_failed:executing->delayed", "promoted:delayed->queued", "claimed:queued->executing");
        assertThat(q.events(id).get(2).get("message").asText()).contains("retry in 1500 ms");
    }

    @Test
    void customDelaysAreTakenInTurnUntilTheAttemptsAreUsedUp() {
        q.job("retry-custom", Map.of("max_attempts", 3,
                "retry", Map.of("strategy", "custom", "delays_ms", List.of(300, 1_200))));
        String id = q.triggerId("retry-custom");
        q.claimOnly("w", "retry-custom", id, 60_000);
        Failure first = fail(id, "w");
        first.assertDelay(300, 300);
        notBeforeButAfter("retry-custom", id, first.retryAt(), 2);
        Failure second = fail(id, "w");
        second.assertDelay(1_200, 1_200);
        notBeforeButAfter("retry-custom", id, second.retryAt(), 3);
        Failure last = fail(id, "w");
        assertThat(last.run().get("status").asText()).isEqualTo("dead_letter");
        assertThat(last.run().get("next_retry_at").isNull()).isTrue();
        assertThat(last.run().get("attempt").asInt()).isEqualTo(3);
    }

    @Test
    void exponentialWithJitterStaysWithinTheUpperHalfOfTheDelay() {
        q.job("retry-jitter", Map.of("max_attempts", 2,
                "retry", Map.of("strategy", "exponential", "initial_delay_ms", 2_000, "jitter", true)));
        String id = q.triggerId("retry-jitter");
        q.claimOnly("w", "retry-jitter", id, 60_000);
        Failure f = fail(id, "w");
        f.assertDelay(1_000, 2_000);
        assertThat(q.claim("w", "retry-jitter", 10, 60_000, 0)).isEmpty();
    }

    @Test
    void aLongCustomDelayIsNotCutByTheDefaultCap() {
        JsonNode job = q.job("retry-long", Map.of("max_attempts", 2,
                "retry", Map.of("strategy", "custom", "delays_ms", List.of(7_200_000))));
        assertThat(job.get("retry").get("max_delay_ms").asLong()).isEqualTo(7_200_000L);
        String id = q.triggerId("retry-long");
        q.claimOnly("w", "retry-long", id, 60_000);
        fail(id, "w").assertDelay(7_200_000, 7_200_000);
    }
}
