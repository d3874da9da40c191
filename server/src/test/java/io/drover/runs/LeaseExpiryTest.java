package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static io.drover.runs.RunFixture.time;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Leases: a silent worker's run is reaped and retried; heartbeats keep it; timeouts and cancels end it. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class LeaseExpiryTest {
    static final Map<String, Object> RETRY_AT_ONCE = Map.of("strategy", "fixed", "initial_delay_ms", 0);
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    static Api.Answer heartbeat(String id, String worker, long leaseMs) {
        return q.post("/v1/runs/" + id + "/heartbeat", Map.of("worker_id", worker, "lease_ms", leaseMs));
    }

    @Test
    void aWorkerThatDiesIsReapedAndTheRunIsRetriedByAnother() {
        q.job("lease-dies", Map.of("max_attempts", 3, "retry", RETRY_AT_ONCE));
        String id = q.triggerId("lease-dies");
        JsonNode first = q.claimOnly("doomed", "lease-dies", id, 1_000); // claims, then never heartbeats
        assertThat(first.get("attempt").asInt()).isEqualTo(1);

        JsonNode second = q.claimOnly("rescuer", "lease-dies", id, 60_000); // long-polls until the reaper frees it
        assertThat(second.get("attempt").asInt()).isEqualTo(2);
        assertThat(time(second, "started_at")).isAfter(time(first, "lease_expires_at"));
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "rescuer")).status()).isEqualTo(200);

        assertThat(q.typedChain(id)).containsExactly(
                "created:_->queued",
                "claimed:queued->executing",
                "attempt_crashed:executing->delayed",
                "promoted:delayed->queued",
                "claimed:queued->executing",
                "completed:executing->completed");
        List<JsonNode> events = q.events(id);
        assertThat(events).extracting(e -> e.get("attempt").asInt()).containsExactly(0, 1, 1, 1, 2, 2);
        assertThat(events.get(2).get("message").asText()).contains("attempt 1 of 3").contains("crashed");
        JsonNode run = q.run(id);
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(run.get("worker_id").asText()).isEqualTo("rescuer");
        // the dead worker cannot come back to it
        assertError(heartbeat(id, "doomed", 60_000), 409, "not_held");
        assertError(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "doomed")), 409, "not_held");
    }

    @Test
    void aCrashWithTheLastAttemptDeadLetters() {
        q.job("lease-last", Map.of("max_attempts", 1));
        String id = q.triggerId("lease-last");
        q.claimOnly("doomed", "lease-last", id, 1_000);
        JsonNode run = q.api.awaitStatus("/v1/runs/" + id, "dead_letter");
        assertThat(run.get("error").get("type").asText()).isEqualTo("lease_expired");
        assertThat(q.typedChain(id)).last().isEqualTo("dead_lettered:executing->dead_letter");
        assertThat(q.events(id).get(2).get("data").get("outcome").asText()).isEqualTo("crashed");
    }

    @Test
    void heartbeatsKeepALeaseAlivePastItsFirstExpiry() throws Exception {
        q.job("lease-alive", Map.of("max_attempts", 3, "retry", RETRY_AT_ONCE));
        String id = q.triggerId("lease-alive");
        JsonNode claimed = q.claimOnly("steady", "lease-alive", id, 1_000);
        Instant firstExpiry = time(claimed, "lease_expires_at");
        Instant lastLease = firstExpiry;
        // heartbeat every 250 ms until well past the first lease's end; the reaper runs every 100 ms
        while (Instant.now().isBefore(firstExpiry.plusMillis(1_200))) {
            Thread.sleep(250);
            Api.Answer a = heartbeat(id, "steady", 1_000);
            assertThat(a.status()).as("heartbeat: %s", a.text()).isEqualTo(200);
            Instant lease = Instant.parse(a.json().get("lease_expires_at").asText());
            assertThat(lease).isAfterOrEqualTo(lastLease);
            lastLease = lease;
        }
        assertThat(lastLease).isAfter(firstExpiry.plusSeconds(1));
        JsonNode run = q.run(id);
        assertThat(run.get("status").asText()).isEqualTo("executing");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(time(run, "lease_expires_at")).isEqualTo(lastLease);
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "steady")).status()).isEqualTo(200);
        assertThat(q.chain(id)).containsExactly("_->queued", "queued->executing", "executing->completed");
    }

    @Test
    void theBatchHeartbeatExtendsOnlyTheRunsTheWorkerHolds() {
        q.job("lease-batch", Map.of());
        String mine = q.triggerId("lease-batch");
        q.claimOnly("holder", "lease-batch", mine, 5_000);
        String other = q.triggerId("lease-batch");
        q.claimOnly("someone-else", "lease-batch", other, 5_000);
        String unknown = UUID.randomUUID().toString();
        Api.Answer a = q.post("/v1/worker/heartbeat", Map.of("worker_id", "holder", "lease_ms", 60_000,
                "run_ids", List.of(mine, other, unknown)));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode data = a.json().get("data");
        assertThat(data.get(0).get("ok").asBoolean()).isTrue();
        assertThat(Instant.parse(data.get(0).get("lease_expires_at").asText())).isAfter(Instant.now().plusSeconds(50));
        assertThat(data.get(1).get("ok").asBoolean()).isFalse();
        assertThat(data.get(2).get("ok").asBoolean()).isFalse();
        assertThat(time(q.run(other), "lease_expires_at")).isBefore(Instant.now().plusSeconds(6));
    }

    @Test
    void timeoutSecsEndsTheAttemptEvenWhileHeartbeating() throws Exception {
        q.job("lease-timeout", Map.of("max_attempts", 2, "timeout_secs", 1,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 60_000)));
        String id = q.triggerId("lease-timeout");
        JsonNode claimed = q.claimOnly("busy", "lease-timeout", id, 1_000);
        assertThat(time(claimed, "timeout_at")).isNotNull();
        // A busy worker keeps heartbeating; the deadline ends the attempt anyway and the next
        // heartbeat is refused.
        Api.Answer refused = Await.value("a heartbeat refused after the deadline", Duration.ofSeconds(15), () -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return heartbeat(id, "busy", 1_000);
        }, a -> a.status() != 200);
        assertError(refused, 409, "not_held");
        JsonNode run = q.run(id);
        assertThat(run.get("status").asText()).isEqualTo("delayed");
        assertThat(run.get("error").get("type").asText()).isEqualTo("timeout");
        assertThat(time(run, "next_retry_at")).isAfter(Instant.now().plusSeconds(50));
        assertThat(time(run, "finished_at")).isNull();
        assertThat(q.typedChain(id)).containsExactly("created:_->queued", "claimed:queued->executing",
                "attempt_timed_out:executing->delayed");
        // it ran past its deadline, not past its lease
        Instant endedAt = Instant.parse(q.events(id).get(2).get("created_at").asText());
        assertThat(endedAt).isAfterOrEqualTo(time(claimed, "timeout_at"));
    }

    @Test
    void theHolderOfACanceledRunGets409OnItsNextHeartbeat() {
        q.job("lease-cancel", Map.of());
        String id = q.triggerId("lease-cancel");
        q.claimOnly("holder", "lease-cancel", id, 60_000);
        assertThat(heartbeat(id, "holder", 60_000).status()).isEqualTo(200);
        assertThat(q.post("/v1/runs/" + id + "/cancel", Map.of()).status()).isEqualTo(200);
        Api.Answer a = heartbeat(id, "holder", 60_000);
        assertError(a, 409, "not_held");
        assertThat(a.json().get("error").get("details").get("status").asText()).isEqualTo("canceled");
        // the batch heartbeat says the same, per run
        Api.Answer batch = q.post("/v1/worker/heartbeat", Map.of("worker_id", "holder", "run_ids", List.of(id)));
        assertThat(batch.json().get("data").get(0).get("ok").asBoolean()).isFalse();
        assertThat(q.status(id)).isEqualTo("canceled");
    }
}
