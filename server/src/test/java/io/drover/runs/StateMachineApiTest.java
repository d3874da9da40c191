package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static io.drover.runs.RunFixture.time;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.dispatch.HttpPushDispatcher;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every legal transition of BRIEF.md's state machine, each reached the way production reaches it
 * (the API, the worker protocol, the reaper, the promoter, the HTTP push dispatcher) and asserted
 * by the run's event chain; then illegal changes refused with 409. The last test checks that the
 * transitions recorded in the databases are exactly the table in {@link RunStatus}.
 *
 * <p>Two nodes on two databases: {@code q} has its push dispatcher off, so that the test drives
 * {@code takePush} itself and holds runs in {@code dequeued}; {@code pq} pushes for real to an
 * endpoint served by this test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StateMachineApiTest {
    static TestServer server;
    static TestServer pushServer;
    static RunFixture q;
    static RunFixture pq;
    static HttpServer endpoint;
    static final ConcurrentLinkedQueue<Pushed> pushed = new ConcurrentLinkedQueue<>();

    record Pushed(String runId, String attempt, String signature, byte[] body) {}

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        pushServer = TestServer.start(Map.of());
        q = new RunFixture(server);
        pq = new RunFixture(pushServer);
        endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/hook", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            pushed.add(new Pushed(ex.getRequestHeaders().getFirst("X-Drover-Run-Id"),
                    ex.getRequestHeaders().getFirst("X-Drover-Attempt"),
                    ex.getRequestHeaders().getFirst("X-Drover-Signature"), body));
            byte[] answer = "{\"pushed\":true}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        endpoint.start();
    }

    @AfterAll
    static void stop() {
        if (endpoint != null) {
            endpoint.stop(0);
        }
        if (pushServer != null) {
            pushServer.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static String hookUrl() {
        return "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/hook";
    }

    /**
     * Asserts the run's history is exactly these steps, that each event starts where the one before
     * ended, and that the last one ends in the run's current status.
     */
    static void assertChain(RunFixture f, String id, String... steps) {
        List<JsonNode> events = f.events(id);
        assertThat(f.chain(id)).as("event chain of run %s: %s", id, f.typedChain(id)).containsExactly(steps);
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).get("from_status").asText()).as("event %d starts where %d ended", i, i - 1)
                    .isEqualTo(events.get(i - 1).get("to_status").asText());
        }
        assertThat(events.get(events.size() - 1).get("to_status").asText()).isEqualTo(f.status(id));
    }

    static String lastType(RunFixture f, String id) {
        List<JsonNode> events = f.events(id);
        return events.get(events.size() - 1).get("type").asText();
    }

    /** Claims the run (queue = slug) for worker "w" with a long lease. */
    static JsonNode claimed(String slug, String id) {
        return q.claimOnly("w", slug, id, 60_000);
    }

    static Api.Answer worker(String id, String action, Map<String, ?> body) {
        return q.post("/v1/runs/" + id + "/" + action, body);
    }

    static void ok(Api.Answer a, String status) {
        assertThat(a.status()).as("answer: %s", a.text()).isEqualTo(200);
        assertThat(a.json().get("status").asText()).isEqualTo(status);
    }

    /** Takes the ready http runs of q's database into dequeued with the given lease, as the dispatcher does. */
    static void dequeue(String id, long leaseMs) {
        List<Run> taken = server.server().runs().takePush("test-dispatcher", 100, leaseMs);
        assertThat(taken).extracting(r -> r.id().toString()).containsExactly(id);
        assertThat(taken.get(0).status()).isEqualTo(RunStatus.DEQUEUED);
    }

    static String httpJob(RunFixture f, String slug, String url) {
        return f.job(slug, Map.of("execution", "http", "endpoint_url", url)).get("id").asText();
    }

    // ------------------------------------------------------------------------------ delayed

    @Test
    void delayedToQueued() {
        q.job("d-queued", Map.of());
        JsonNode run = q.trigger("d-queued", Map.of("delay_ms", 300));
        String id = run.get("id").asText();
        assertThat(run.get("status").asText()).isEqualTo("delayed");
        q.api.awaitStatus("/v1/runs/" + id, "queued");
        assertChain(q, id, "_->delayed", "delayed->queued");
        assertThat(lastType(q, id)).isEqualTo("promoted");
    }

    @Test
    void delayedToCanceled() {
        q.job("d-canceled", Map.of());
        String id = q.trigger("d-canceled", Map.of("delay_ms", 60_000)).get("id").asText();
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertChain(q, id, "_->delayed", "delayed->canceled");
        assertThat(q.run(id).get("finished_at").isNull()).isFalse();
    }

    @Test
    void delayedToExpired() {
        // TTL counts from the trigger: a run delayed past its ttl expires without ever being queued.
        q.job("d-expired", Map.of("ttl_secs", 1));
        String id = q.trigger("d-expired", Map.of("delay_ms", 60_000)).get("id").asText();
        q.api.awaitStatus("/v1/runs/" + id, "expired");
        assertChain(q, id, "_->delayed", "delayed->expired");
        assertThat(lastType(q, id)).isEqualTo("expired");
    }

    // ------------------------------------------------------------------------------- queued

    @Test
    void queuedToExecuting() {
        q.job("q-executing", Map.of());
        String id = q.triggerId("q-executing");
        JsonNode run = claimed("q-executing", id);
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(time(run, "lease_expires_at")).isAfter(Instant.now());
        assertChain(q, id, "_->queued", "queued->executing");
        assertThat(lastType(q, id)).isEqualTo("claimed");
    }

    @Test
    void queuedToDequeued() {
        httpJob(q, "q-dequeued", "http://127.0.0.1:9/never");
        String id = q.triggerId("q-dequeued");
        assertThat(q.claim("w", "q-dequeued", 10, 60_000, 0)).as("workers do not claim http runs").isEmpty();
        dequeue(id, 60_000);
        JsonNode run = q.run(id);
        assertThat(run.get("status").asText()).isEqualTo("dequeued");
        assertThat(run.get("worker_id").asText()).isEqualTo("test-dispatcher");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertChain(q, id, "_->queued", "queued->dequeued");
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled"); // leave no http run behind
    }

    @Test
    void queuedToCanceled() {
        q.job("q-canceled", Map.of());
        String id = q.triggerId("q-canceled");
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertChain(q, id, "_->queued", "queued->canceled");
        assertThat(q.claim("w", "q-canceled", 10, 60_000, 0)).isEmpty();
    }

    @Test
    void queuedToExpired() {
        q.job("q-expired", Map.of("ttl_secs", 1));
        String id = q.triggerId("q-expired");
        q.api.awaitStatus("/v1/runs/" + id, "expired");
        assertChain(q, id, "_->queued", "queued->expired");
        assertThat(q.claim("w", "q-expired", 10, 60_000, 0)).isEmpty();
    }

    // ----------------------------------------------------------------------------- dequeued

    @Test
    void dequeuedToExecutingByThePushDispatcher() throws Exception {
        String secret = pq.job("dq-executing", Map.of("execution", "http", "endpoint_url", hookUrl()))
                .get("signing_secret").asText();
        String id = pq.triggerId("dq-executing");
        JsonNode done = pq.api.awaitStatus("/v1/runs/" + id, "completed");
        assertChain(pq, id, "_->queued", "queued->dequeued", "dequeued->executing", "executing->completed");
        assertThat(pq.typedChain(id).get(2)).startsWith("push_started:");
        assertThat(done.get("result").get("pushed").asBoolean()).isTrue();
        Pushed p = pushed.stream().filter(x -> id.equals(x.runId())).findFirst().orElseThrow();
        assertThat(p.attempt()).isEqualTo("1");
        String[] sig = p.signature().split(",");
        long t = Long.parseLong(sig[0].substring(2));
        assertThat(sig[1]).isEqualTo("v1=" + HttpPushDispatcher.sign(secret, t, p.body()));
    }

    @Test
    void dequeuedToQueuedWhenTheDispatchersLeaseExpires() {
        httpJob(q, "dq-queued", "http://127.0.0.1:9/never");
        String id = q.triggerId("dq-queued");
        dequeue(id, 1); // a dispatcher that dies right after taking the run
        JsonNode back = q.api.awaitStatus("/v1/runs/" + id, "queued");
        assertThat(back.get("attempt").asInt()).as("a give-back does not count as an attempt").isZero();
        assertThat(back.get("worker_id").isNull()).isTrue();
        assertChain(q, id, "_->queued", "queued->dequeued", "dequeued->queued");
        assertThat(lastType(q, id)).isEqualTo("released");
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
    }

    @Test
    void dequeuedToCanceled() {
        httpJob(q, "dq-canceled", "http://127.0.0.1:9/never");
        String id = q.triggerId("dq-canceled");
        dequeue(id, 60_000);
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertChain(q, id, "_->queued", "queued->dequeued", "dequeued->canceled");
    }

    @Test
    void dequeuedToSystemFailedWhenTheSigningSecretCannotBeOpened() {
        String jobId = httpJob(pq, "dq-system", hookUrl());
        // Flip one byte of the sealed secret: AES-GCM refuses to open it, so no request can be signed.
        assertThat(pq.update("UPDATE jobs SET signing_secret = set_byte(signing_secret, 20, "
                + "get_byte(signing_secret, 20) # 255) WHERE id = ?", UUID.fromString(jobId))).isEqualTo(1);
        String id = pq.triggerId("dq-system");
        JsonNode run = pq.api.awaitStatus("/v1/runs/" + id, "system_failed");
        assertThat(run.get("error").get("type").asText()).isEqualTo("system");
        assertChain(pq, id, "_->queued", "queued->dequeued", "dequeued->system_failed");
        assertThat(pushed).noneMatch(p -> id.equals(p.runId()));
    }

    // ---------------------------------------------------------------------------- executing

    @Test
    void executingToCompleted() {
        q.job("x-completed", Map.of());
        String id = q.triggerId("x-completed");
        claimed("x-completed", id);
        Api.Answer a = worker(id, "complete", Map.of("worker_id", "w", "result", Map.of("n", 7)));
        ok(a, "completed");
        assertThat(a.json().get("result").get("n").asInt()).isEqualTo(7);
        assertChain(q, id, "_->queued", "queued->executing", "executing->completed");
    }

    @Test
    void executingToFailedWhenNotRetryable() {
        q.job("x-failed", Map.of("max_attempts", 5));
        String id = q.triggerId("x-failed");
        claimed("x-failed", id);
        Api.Answer a = worker(id, "fail", Map.of("worker_id", "w", "retryable", false,
                "error", Map.of("type", "Boom", "message", "no")));
        ok(a, "failed");
        assertThat(a.json().get("error").get("type").asText()).isEqualTo("Boom");
        assertChain(q, id, "_->queued", "queued->executing", "executing->failed");
        assertThat(lastType(q, id)).isEqualTo("failed");
    }

    @Test
    void executingToDelayedForARetry() {
        q.job("x-delayed", Map.of("max_attempts", 3, "retry", Map.of("strategy", "fixed", "initial_delay_ms", 60_000)));
        String id = q.triggerId("x-delayed");
        claimed("x-delayed", id);
        Api.Answer a = worker(id, "fail", Map.of("worker_id", "w", "error", Map.of("message", "again")));
        ok(a, "delayed");
        assertThat(time(a.json(), "next_retry_at")).isAfter(Instant.now().plusSeconds(50));
        assertChain(q, id, "_->queued", "queued->executing", "executing->delayed");
        assertThat(lastType(q, id)).isEqualTo("attempt_failed");
    }

    @Test
    void executingToDeadLetterWhenAttemptsAreUsedUp() {
        q.job("x-dead", Map.of("max_attempts", 1));
        String id = q.triggerId("x-dead");
        claimed("x-dead", id);
        ok(worker(id, "fail", Map.of("worker_id", "w", "error", Map.of("message", "last"))), "dead_letter");
        assertChain(q, id, "_->queued", "queued->executing", "executing->dead_letter");
        assertThat(lastType(q, id)).isEqualTo("dead_lettered");
    }

    @Test
    void executingToTimedOutWithTheDeadLetterQueueOff() {
        q.job("x-timed-out", Map.of("max_attempts", 1, "timeout_secs", 1, "dead_letter", false));
        String id = q.triggerId("x-timed-out");
        claimed("x-timed-out", id); // a long lease: only the deadline can end this attempt
        JsonNode run = q.api.awaitStatus("/v1/runs/" + id, "timed_out");
        assertThat(run.get("error").get("type").asText()).isEqualTo("timeout");
        assertChain(q, id, "_->queued", "queued->executing", "executing->timed_out");
        assertThat(q.events(id).get(2).get("data").get("outcome").asText()).isEqualTo("timed_out");
    }

    @Test
    void executingToCrashedWithTheDeadLetterQueueOff() {
        q.job("x-crashed", Map.of("max_attempts", 1, "dead_letter", false));
        String id = q.triggerId("x-crashed");
        q.claimOnly("w", "x-crashed", id, 1_000); // and never heartbeats
        JsonNode run = q.api.awaitStatus("/v1/runs/" + id, "crashed");
        assertThat(run.get("error").get("type").asText()).isEqualTo("lease_expired");
        assertChain(q, id, "_->queued", "queued->executing", "executing->crashed");
        assertThat(q.events(id).get(2).get("data").get("outcome").asText()).isEqualTo("crashed");
    }

    @Test
    void executingToCanceled() {
        q.job("x-canceled", Map.of());
        String id = q.triggerId("x-canceled");
        claimed("x-canceled", id);
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertChain(q, id, "_->queued", "queued->executing", "executing->canceled");
    }

    @Test
    void executingToWaiting() {
        q.job("x-waiting", Map.of());
        String id = q.triggerId("x-waiting");
        claimed("x-waiting", id);
        ok(worker(id, "wait", Map.of("worker_id", "w", "timeout_secs", 3600, "reason", "child")), "waiting");
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting");
        assertThat(q.events(id).get(2).get("message").asText()).isEqualTo("child");
    }

    @Test
    void executingToQueuedWhenReleased() {
        q.job("x-released", Map.of());
        String id = q.triggerId("x-released");
        claimed("x-released", id);
        Api.Answer a = worker(id, "release", Map.of("worker_id", "w"));
        ok(a, "queued");
        assertThat(a.json().get("attempt").asInt()).as("a release does not use an attempt").isZero();
        assertChain(q, id, "_->queued", "queued->executing", "executing->queued");
        assertThat(q.claimOnly("w2", "x-released", id, 60_000).get("attempt").asInt()).isEqualTo(1);
    }

    /**
     * An endpoint the API accepts but the HTTP client refuses when it sends (port out of range):
     * Drover cannot run it after the push started. It used to stay executing until its lease ran
     * out and was then retried as a crash of the endpoint's fault.
     */
    @Test
    void executingToSystemFailedWhenTheRequestCannotBeSent() {
        httpJob(pq, "x-system", "http://127.0.0.1:99999/hook");
        String id = pq.triggerId("x-system");
        JsonNode run = pq.api.awaitStatus("/v1/runs/" + id, "system_failed");
        assertThat(run.get("error").get("type").asText()).isEqualTo("system");
        assertThat(run.get("error").get("message").asText()).contains("port out of range");
        assertChain(pq, id, "_->queued", "queued->dequeued", "dequeued->executing", "executing->system_failed");
    }

    // ------------------------------------------------------------------------------ waiting

    static String waitingRun(String slug, int timeoutSecs) {
        q.job(slug, Map.of());
        String id = q.triggerId(slug);
        claimed(slug, id);
        ok(worker(id, "wait", Map.of("worker_id", "w", "timeout_secs", timeoutSecs)), "waiting");
        return id;
    }

    @Test
    void waitingToExecutingWhenResumed() {
        String id = waitingRun("w-resumed", 3600);
        Api.Answer a = worker(id, "resume", Map.of("worker_id", "w", "lease_ms", 60_000));
        ok(a, "executing");
        assertThat(time(a.json(), "lease_expires_at")).isAfter(Instant.now().plusSeconds(50));
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->executing");
        ok(worker(id, "complete", Map.of("worker_id", "w")), "completed");
    }

    @Test
    void waitingToCompleted() {
        String id = waitingRun("w-completed", 3600);
        ok(worker(id, "complete", Map.of("worker_id", "w", "result", "done")), "completed");
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->completed");
    }

    @Test
    void waitingToFailed() {
        String id = waitingRun("w-failed", 3600);
        ok(worker(id, "fail", Map.of("worker_id", "w", "error", Map.of("message", "gave up"))), "failed");
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->failed");
    }

    @Test
    void waitingToCanceled() {
        String id = waitingRun("w-canceled", 3600);
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->canceled");
    }

    @Test
    void waitingToTimedOutWhenTheWaitRunsOut() {
        String id = waitingRun("w-timed-out", 1);
        JsonNode run = q.api.awaitStatus("/v1/runs/" + id, "timed_out");
        assertThat(run.get("error").get("type").asText()).isEqualTo("wait_timeout");
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->timed_out");
    }

    @Test
    void waitingToQueuedWhenItsEventIsSent() {
        q.job("w-event", Map.of());
        String id = q.triggerId("w-event");
        claimed("w-event", id);
        ok(worker(id, "wait", Map.of("worker_id", "w", "event_key", "sm-" + id, "timeout_ms", 600_000)), "waiting");
        assertThat(q.post("/v1/events/sm-" + id + "/send", Map.of("payload", 1)).status()).isEqualTo(200);
        assertChain(q, id, "_->queued", "queued->executing", "executing->waiting", "waiting->queued");
    }

    // -------------------------------------------------------------------------- dead letter

    @Test
    void deadLetterToQueuedWhenReplayed() {
        q.job("dl-replay", Map.of("max_attempts", 1));
        String id = q.triggerId("dl-replay");
        claimed("dl-replay", id);
        ok(worker(id, "fail", Map.of("worker_id", "w")), "dead_letter");
        Api.Answer a = q.post("/v1/runs/" + id + "/replay", Map.of());
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        assertThat(a.json().get("id").asText()).as("the same run is queued again").isEqualTo(id);
        assertThat(a.json().get("status").asText()).isEqualTo("queued");
        assertThat(a.json().get("attempt").asInt()).isZero();
        assertChain(q, id, "_->queued", "queued->executing", "executing->dead_letter", "dead_letter->queued");
        assertThat(lastType(q, id)).isEqualTo("replayed");
        assertThat(claimed("dl-replay", id).get("attempt").asInt()).isEqualTo(1);
    }

    // -------------------------------------------------------------------------- illegal ones

    /** Asserts a refused request changed nothing: same status, same number of events. */
    static void assertUnchanged(String id, String status, int events) {
        assertThat(q.status(id)).isEqualTo(status);
        assertThat(q.events(id)).hasSize(events);
    }

    @Test
    void cancelingACompletedRunIsRefused() {
        q.job("i-cancel", Map.of());
        String id = q.triggerId("i-cancel");
        claimed("i-cancel", id);
        ok(worker(id, "complete", Map.of("worker_id", "w")), "completed");
        Api.Answer a = q.post("/v1/runs/" + id + "/cancel", Map.of());
        assertError(a, 409, "illegal_transition");
        assertThat(a.json().get("error").get("details").get("from").asText()).isEqualTo("completed");
        assertThat(a.json().get("error").get("details").get("to").asText()).isEqualTo("canceled");
        assertUnchanged(id, "completed", 3);
    }

    @Test
    void replayingAQueuedRunIsRefused() {
        q.job("i-replay", Map.of());
        String id = q.triggerId("i-replay");
        assertError(q.post("/v1/runs/" + id + "/replay", Map.of()), 409, "illegal_transition");
        assertUnchanged(id, "queued", 1);
        assertThat(q.count("SELECT count(*) FROM runs WHERE replay_of = ?", UUID.fromString(id))).isZero();
    }

    @Test
    void completingAQueuedRunIsRefused() {
        q.job("i-complete", Map.of());
        String id = q.triggerId("i-complete");
        assertError(worker(id, "complete", Map.of("worker_id", "w")), 409, "not_held");
        assertError(worker(id, "fail", Map.of("worker_id", "w")), 409, "not_held");
        assertUnchanged(id, "queued", 1);
    }

    @Test
    void heartbeatingACanceledRunIsRefused() {
        q.job("i-heartbeat", Map.of());
        String id = q.triggerId("i-heartbeat");
        claimed("i-heartbeat", id);
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        Api.Answer a = worker(id, "heartbeat", Map.of("worker_id", "w", "lease_ms", 60_000));
        assertError(a, 409, "not_held");
        assertThat(a.json().get("error").get("details").get("status").asText()).isEqualTo("canceled");
        assertError(worker(id, "complete", Map.of("worker_id", "w")), 409, "not_held");
        assertUnchanged(id, "canceled", 3);
    }

    @Test
    void otherWorkerActionsOutOfTurnAreRefused() {
        q.job("i-other", Map.of());
        String id = q.triggerId("i-other");
        claimed("i-other", id);
        // resume needs waiting; another worker holds nothing; a waiting run cannot be released.
        assertError(worker(id, "resume", Map.of("worker_id", "w")), 409, "not_held");
        assertError(worker(id, "complete", Map.of("worker_id", "intruder")), 409, "not_held");
        assertError(worker(id, "heartbeat", Map.of("worker_id", "intruder")), 409, "not_held");
        ok(worker(id, "wait", Map.of("worker_id", "w")), "waiting");
        assertError(worker(id, "release", Map.of("worker_id", "w")), 409, "not_held");
        assertError(worker(id, "wait", Map.of("worker_id", "w")), 409, "not_held");
        assertUnchanged(id, "waiting", 3);
        // and a dead run cannot be brought back by its old holder
        ok(q.post("/v1/runs/" + id + "/cancel", Map.of()), "canceled");
        assertError(worker(id, "resume", Map.of("worker_id", "w")), 409, "not_held");
        assertError(q.post("/v1/runs/" + id + "/cancel", Map.of()), 409, "illegal_transition");
        assertUnchanged(id, "canceled", 4);
    }

    @Test
    void theDatabaseEnumHoldsTheSameStates() {
        List<String> labels = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT e.enumlabel FROM pg_enum e JOIN pg_type t "
                    + "ON t.oid = e.enumtypid WHERE t.typname = 'run_status' ORDER BY e.enumsortorder");
                    ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        });
        assertThat(labels).containsExactly(java.util.Arrays.stream(RunStatus.values()).map(RunStatus::db)
                .toArray(String[]::new));
    }

    // ---------------------------------------------------------------------------- coverage

    static Set<String> recordedTransitions(TestServer s) {
        return s.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT from_status::text, to_status::text "
                    + "FROM run_events WHERE from_status IS NOT NULL");
                    ResultSet rs = ps.executeQuery()) {
                Set<String> out = new TreeSet<>();
                while (rs.next()) {
                    out.add(rs.getString(1) + "->" + rs.getString(2));
                }
                return out;
            }
        });
    }

    /**
     * Runs after all the others (when the whole class runs): the transitions they recorded in both
     * databases are exactly the legal ones. A transition added to {@link RunStatus} without a test
     * here fails this.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void theTestsAboveReachedEveryLegalTransition() {
        Set<String> legal = new TreeSet<>();
        for (RunStatus from : RunStatus.values()) {
            for (RunStatus to : EnumSet.allOf(RunStatus.class)) {
                if (from.canMoveTo(to)) {
                    legal.add(from.db() + "->" + to.db());
                }
            }
        }
        Set<String> seen = new TreeSet<>(recordedTransitions(server));
        seen.addAll(recordedTransitions(pushServer));
        assertThat(seen).as("transitions recorded by the tests of this class").isEqualTo(legal);
    }
}
