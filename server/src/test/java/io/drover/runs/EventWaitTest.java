package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Plain runs waiting for events: the worker lets go, a send puts the run back in its queue and its
 * next claim carries the event; a timeout (on the test clock) does the same with a timed-out event.
 */
class EventWaitTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    RunFixture q;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_REAPER_INTERVAL_MS", "3600000", "DROVER_PUSH_ENABLED", "false"),
                clock);
    }

    @BeforeEach
    void realTime() {
        clock.reset();
        q = new RunFixture(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    Api.Answer waitFor(String id, String worker, String key, long timeoutMs) {
        return q.post("/v1/runs/" + id + "/wait", Map.of("worker_id", worker, "event_key", key, "timeout_ms", timeoutMs));
    }

    Api.Answer send(String key, Object payload) {
        return q.post("/v1/events/" + key + "/send", Map.of("payload", payload));
    }

    @Test
    void aSentEventPutsTheRunBackInItsQueueAndItsClaimCarriesTheEvent() {
        q.job("ew-send", Map.of("max_attempts", 1));
        String id = q.triggerId("ew-send");
        q.claimOnly("w1", "ew-send", id, 60_000);
        Api.Answer waiting = waitFor(id, "w1", "order-1-paid", 600_000);
        assertThat(waiting.status()).as(waiting.text()).isEqualTo(200);
        assertThat(waiting.json().get("status").asText()).isEqualTo("waiting");
        assertThat(waiting.json().get("worker_id").isNull()).as("the worker let go").isTrue();
        assertThat(waiting.json().has("event")).isFalse();
        // let go: the worker no longer holds it
        assertError(q.post("/v1/runs/" + id + "/heartbeat", Map.of("worker_id", "w1")), 409, "not_held");
        assertError(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1")), 409, "not_held");
        assertThat(q.claim("w2", "ew-send", 10, 60_000, 0)).isEmpty();

        Api.Answer sent = send("order-1-paid", Map.of("amount", 5));
        assertThat(sent.status()).as(sent.text()).isEqualTo(200);
        assertThat(sent.json().get("resolved").asInt()).isEqualTo(1);
        assertThat(q.status(id)).isEqualTo("queued");

        JsonNode claimed = q.claimOnly("w2", "ew-send", id, 60_000);
        assertThat(claimed.get("attempt").asInt()).as("the wait burns no attempt").isEqualTo(1);
        JsonNode event = claimed.get("event");
        assertThat(event).as("claim: %s", claimed).isNotNull();
        assertThat(event.get("key").asText()).isEqualTo("order-1-paid");
        assertThat(event.at("/payload/amount").asInt()).isEqualTo(5);
        assertThat(event.get("timed_out").asBoolean()).isFalse();
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w2")).status()).isEqualTo(200);
        assertThat(q.typedChain(id)).containsExactly("created:_->queued", "claimed:queued->executing",
                "waiting_for_event:executing->waiting", "event_received:waiting->queued", "claimed:queued->executing",
                "completed:executing->completed");

        // the same event semantics as workflow waits: a repeat is a no-op, another payload a conflict
        assertThat(send("order-1-paid", Map.of("amount", 5)).json().get("duplicate").asBoolean()).isTrue();
        assertError(send("order-1-paid", Map.of("amount", 6)), 409, "event_already_sent");
    }

    @Test
    void anEventSentBeforeTheWaitAnswersAtOnceAndTheRunGoesOn() {
        q.job("ew-before", Map.of());
        assertThat(send("ew-before-key", "early").status()).isEqualTo(200);
        String id = q.triggerId("ew-before");
        q.claimOnly("w1", "ew-before", id, 60_000);
        Api.Answer a = waitFor(id, "w1", "ew-before-key", 600_000);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        assertThat(a.json().get("status").asText()).isEqualTo("executing");
        assertThat(a.json().get("worker_id").asText()).isEqualTo("w1");
        assertThat(a.json().at("/event/payload").asText()).isEqualTo("early");
        assertThat(q.chain(id)).containsExactly("_->queued", "queued->executing");
        assertThat(q.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1")).status()).isEqualTo(200);
    }

    @Test
    void aWaitThatRunsOutPutsTheRunBackWithATimedOutEvent() throws Exception {
        q.job("ew-timeout", Map.of());
        String id = q.triggerId("ew-timeout");
        q.claimOnly("w1", "ew-timeout", id, 600_000);
        assertThat(waitFor(id, "w1", "never-sent", 60_000).json().get("status").asText()).isEqualTo("waiting");
        server.server().reaper().runOnce();
        assertThat(q.status(id)).as("the wait has not run out").isEqualTo("waiting");
        clock.advance(Duration.ofMinutes(2));
        server.server().reaper().runOnce();
        assertThat(q.status(id)).isEqualTo("queued");
        assertThat(q.typedChain(id)).last().isEqualTo("event_wait_timed_out:waiting->queued");

        JsonNode claimed = q.claimOnly("w2", "ew-timeout", id, 600_000);
        assertThat(claimed.at("/event/key").asText()).isEqualTo("never-sent");
        assertThat(claimed.at("/event/timed_out").asBoolean()).isTrue();
        assertThat(claimed.at("/event/payload").isNull()).isTrue();
        // the handler runs from the top and asks again: the wait already ran out, answered at once
        Api.Answer again = waitFor(id, "w2", "never-sent", 60_000);
        assertThat(again.json().get("status").asText()).isEqualTo("executing");
        assertThat(again.json().at("/event/timed_out").asBoolean()).isTrue();
        // a late send finds no waiter
        assertThat(send("never-sent", 1).json().get("resolved").asInt()).isZero();
        assertThat(q.status(id)).isEqualTo("executing");
    }

    @Test
    void aCanceledWaiterStaysCanceledWhenItsEventComes() {
        q.job("ew-cancel", Map.of());
        String id = q.triggerId("ew-cancel");
        q.claimOnly("w1", "ew-cancel", id, 60_000);
        waitFor(id, "w1", "ew-cancel-key", 600_000);
        assertThat(q.post("/v1/runs/" + id + "/cancel", Map.of()).status()).isEqualTo(200);
        assertThat(send("ew-cancel-key", 1).status()).isEqualTo(200);
        assertThat(q.status(id)).isEqualTo("canceled");
    }

    @Test
    void badWaitsAreRefusedAndChangeNothing() {
        q.job("ew-bad", Map.of());
        String id = q.triggerId("ew-bad");
        q.claimOnly("w1", "ew-bad", id, 60_000);
        String path = "/v1/runs/" + id + "/wait";
        assertError(q.post(path, Map.of("worker_id", "w1", "event_key", "k", "timeout_secs", 5)), 422,
                "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w1", "event_key", "k", "timeout_ms", 0)), 422,
                "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w1", "timeout_ms", 5_000)), 422, "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w1", "event_key", "")), 422, "validation_failed");
        assertError(q.post(path, Map.of("worker_id", "w1", "event_key", 5)), 400, "invalid_type");
        assertError(q.post(path, Map.of("worker_id", "w2", "event_key", "k")), 409, "not_held");
        assertThat(q.status(id)).isEqualTo("executing");
        assertThat(q.count("SELECT count(*) FROM event_triggers WHERE run_id = ?", java.util.UUID.fromString(id)))
                .isZero();
    }
}
