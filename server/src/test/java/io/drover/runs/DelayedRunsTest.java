package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static io.drover.runs.RunFixture.time;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Delayed and scheduled runs are claimable only once due; claims follow priority, then trigger order. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class DelayedRunsTest {
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    @Test
    void delayMsIsHonoured() {
        q.job("delay-ms", Map.of());
        Instant before = Instant.now();
        JsonNode run = q.trigger("delay-ms", Map.of("delay_ms", 1_500));
        Instant after = Instant.now();
        String id = run.get("id").asText();
        assertThat(run.get("status").asText()).isEqualTo("delayed");
        Instant due = time(run, "scheduled_at");
        assertThat(due).isBetween(before.plusMillis(1_499), after.plusMillis(1_501));
        assertThat(q.claim("w", "delay-ms", 10, 60_000, 0)).as("not claimable before it is due").isEmpty();
        assertThat(q.status(id)).isEqualTo("delayed");

        JsonNode claimed = q.claimOnly("w", "delay-ms", id, 60_000);
        assertThat(time(claimed, "started_at")).isAfterOrEqualTo(due);
        assertThat(q.typedChain(id)).containsExactly("created:_->delayed", "promoted:delayed->queued",
                "claimed:queued->executing");
    }

    @Test
    void scheduledAtIsHonoured() {
        q.job("delay-at", Map.of());
        Instant at = Instant.now().plusMillis(1_500).truncatedTo(ChronoUnit.MILLIS);
        JsonNode run = q.trigger("delay-at", Map.of("scheduled_at", at.toString()));
        String id = run.get("id").asText();
        assertThat(run.get("status").asText()).isEqualTo("delayed");
        assertThat(time(run, "scheduled_at")).isEqualTo(at);
        assertThat(q.claim("w", "delay-at", 10, 60_000, 0)).isEmpty();
        JsonNode claimed = q.claimOnly("w", "delay-at", id, 60_000);
        assertThat(time(claimed, "started_at")).isAfterOrEqualTo(at);
    }

    @Test
    void aTimeInThePastOrNoDelayIsReadyAtOnce() {
        q.job("delay-none", Map.of());
        JsonNode past = q.trigger("delay-none", Map.of("scheduled_at", Instant.now().minusSeconds(60).toString()));
        JsonNode zero = q.trigger("delay-none", Map.of("delay_ms", 0));
        assertThat(past.get("status").asText()).isEqualTo("queued");
        assertThat(zero.get("status").asText()).isEqualTo("queued");
        assertThat(q.claim("w", "delay-none", 10, 60_000, 0)).hasSize(2);
    }

    @Test
    void delayMsAndScheduledAtTogetherAreRefused() {
        q.job("delay-both", Map.of());
        assertError(q.post("/v1/jobs/delay-both/trigger", Map.of("delay_ms", 10,
                "scheduled_at", Instant.now().plusSeconds(5).toString())), 422, "validation_failed");
        assertError(q.post("/v1/jobs/delay-both/trigger", Map.of("delay_ms", -1)), 422, "validation_failed");
        assertError(q.post("/v1/jobs/delay-both/trigger", Map.of("scheduled_at", "tomorrow")), 422,
                "validation_failed");
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'delay-both'")).isZero();
    }

    @Test
    void manyDelayedRunsAreEachClaimedOnlyOnceDue() {
        q.job("delay-many", Map.of());
        List<Map<String, ?>> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            batch.add(Map.of("delay_ms", 200 + (i % 12) * 100, "payload", i));
        }
        List<String> ids = q.triggerBatch("delay-many", batch);
        Map<String, JsonNode> claimed = new HashMap<>();
        Await.until("all 60 delayed runs claimed", Duration.ofSeconds(20), () -> {
            for (JsonNode r : q.claim("w", "delay-many", 100, 60_000, 500)) {
                assertThat(claimed.put(r.get("id").asText(), r)).as("claimed twice").isNull();
            }
            return claimed.size() == 60;
        });
        assertThat(claimed.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        for (JsonNode r : claimed.values()) {
            assertThat(time(r, "started_at")).as("run %s", r.get("id")).isAfterOrEqualTo(time(r, "scheduled_at"));
        }
    }

    static List<Integer> payloadsInClaimOrder(String queue, int n) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<JsonNode> one = q.claim("w", queue, 1, 60_000, 0);
            assertThat(one).hasSize(1);
            order.add(one.get(0).get("payload").asInt());
        }
        assertThat(q.claim("w", queue, 1, 60_000, 0)).isEmpty();
        return order;
    }

    @Test
    void claimsFollowPriorityThenTriggerOrder() {
        q.job("prio", Map.of("priority", 1)); // runs without a priority get the job's
        List<Map<String, ?>> batch = List.of(
                Map.of("payload", 0),
                Map.of("payload", 1, "priority", 10),
                Map.of("payload", 2, "priority", -5),
                Map.of("payload", 3, "priority", 10),
                Map.of("payload", 4),
                Map.of("payload", 5, "priority", 3));
        q.triggerBatch("prio", batch);
        q.trigger("prio", Map.of("payload", 6, "priority", 10)); // a later trigger, same priority: after 1 and 3
        assertThat(payloadsInClaimOrder("prio", 7)).containsExactly(1, 3, 6, 5, 0, 4, 2);
    }

    @Test
    void oneClaimReturnsItsRunsInPriorityOrderAcrossQueues() {
        q.job("prio-a", Map.of());
        q.job("prio-b", Map.of());
        q.trigger("prio-a", Map.of("payload", 1, "priority", 1));
        q.trigger("prio-b", Map.of("payload", 2, "priority", 5));
        q.trigger("prio-a", Map.of("payload", 3, "priority", 9));
        q.trigger("prio-b", Map.of("payload", 4, "priority", -1));
        var a = q.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("prio-a", "prio-b"), "max", 3));
        assertThat(a.status()).isEqualTo(200);
        List<Integer> order = new ArrayList<>();
        a.json().get("data").forEach(r -> order.add(r.get("payload").asInt()));
        assertThat(order).containsExactly(3, 2, 1);
    }

    @Test
    void aDueHighPriorityRunGoesAheadOfRunsAlreadyWaiting() {
        q.job("prio-due", Map.of());
        q.trigger("prio-due", Map.of("payload", 1));
        q.trigger("prio-due", Map.of("payload", 2));
        String late = q.trigger("prio-due", Map.of("payload", 3, "priority", 50, "delay_ms", 300)).get("id").asText();
        q.api.awaitStatus("/v1/runs/" + late, "queued");
        assertThat(payloadsInClaimOrder("prio-due", 3)).containsExactly(3, 1, 2);
    }
}
