package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How a parked long-poll claim learns of a new run, with the poll fallback pushed out of reach
 * (one minute): a trigger on the claim's own node wakes it in-process after its commit, even with
 * the node's LISTEN connection stopped; a trigger on another node wakes it through NOTIFY (sent by
 * the insert statement itself, or after admission for a job with a concurrency limit).
 */
class ClaimWakeTest {
    static final Map<String, String> ENV = Map.of("DROVER_POLL_INTERVAL_MS", "60000", "DROVER_PUSH_ENABLED", "false");
    /** Far below the poll interval and the claim's wait: only a wake-up answers this fast. */
    static final long WOKEN_WITHIN_MS = 3_000;

    static TestServer deaf;
    static TestServer nodeA;
    static TestServer nodeB;

    @BeforeAll
    static void start() {
        deaf = TestServer.start(ENV);
        deaf.server().listener().stop();
        nodeA = TestServer.start(ENV);
        nodeB = TestServer.startOn(nodeA.jdbcUrl(), ENV);
    }

    @AfterAll
    static void stop() {
        for (TestServer s : new TestServer[] {nodeB, nodeA, deaf}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void aTriggerWakesAClaimParkedOnItsOwnNodeWithoutNotify() throws Exception {
        RunFixture q = new RunFixture(deaf);
        q.job("wake-local", Map.of());
        assertWokenBy(deaf, "wake-local", () -> q.triggerId("wake-local"));
    }

    @Test
    void aTriggerWakesAClaimParkedOnAnotherNodeThroughNotify() throws Exception {
        RunFixture q = new RunFixture(nodeA);
        q.job("wake-remote", Map.of());
        assertWokenBy(nodeB, "wake-remote", () -> q.triggerId("wake-remote"));
    }

    @Test
    void anAdmittedRunOfALimitedJobWakesAClaimOnAnotherNode() throws Exception {
        RunFixture q = new RunFixture(nodeA);
        q.job("wake-limited", Map.of("max_concurrency", 1));
        assertWokenBy(nodeB, "wake-limited", () -> q.triggerId("wake-limited"));
    }

    @Test
    void aBatchTriggerAnsweringIdsOnlyWakesAClaimParkedOnItsOwnNode() throws Exception {
        RunFixture q = new RunFixture(deaf);
        q.job("wake-ids", Map.of());
        assertWokenBy(deaf, "wake-ids", () -> idsOnlyBatch(deaf, "wake-ids", Map.of("payload", 1)));
    }

    @Test
    void aDelayedRunOfABatchAnsweringIdsOnlyIsPromotedAtItsTimeNotAtThePoll() throws Exception {
        // The trigger tells the promoter when its earliest delayed run is due (the poll is a minute
        // away): the ids-only answer reads back only ids, statuses and times, and must still say so.
        RunFixture q = new RunFixture(deaf);
        q.job("wake-ids-delayed", Map.of());
        assertWokenBy(deaf, "wake-ids-delayed", 1_000,
                () -> idsOnlyBatch(deaf, "wake-ids-delayed", Map.of("payload", 1, "delay_ms", 1_000)));
    }

    private static String idsOnlyBatch(TestServer node, String slug, Map<String, ?> run) {
        Api.Answer a = new Api(node).post("/v1/jobs/" + slug + "/trigger/batch",
                Map.of("answer", "ids", "runs", List.of(run)));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json().get("data").get(0).asText();
    }

    private static void assertWokenBy(TestServer node, String queue, java.util.function.Supplier<String> trigger)
            throws Exception {
        assertWokenBy(node, queue, 0, trigger);
    }

    private static void assertWokenBy(TestServer node, String queue, long delayMs,
            java.util.function.Supplier<String> trigger) throws Exception {
        Api claimer = new Api(node);
        int parkedBefore = node.server().claimSignal().parked();
        CompletableFuture<Api.Answer> claim = CompletableFuture.supplyAsync(() -> claimer.post("/v1/worker/claim",
                Map.of("worker_id", "w-" + queue, "queues", List.of(queue), "max", 1, "wait_ms", 20_000)));
        // the claim finds nothing and parks
        Await.until("the claim parks", Duration.ofSeconds(10), () -> node.server().claimSignal().parked() > parkedBefore);
        assertThat(claim).isNotDone();
        long t0 = System.nanoTime();
        String runId = trigger.get();
        Api.Answer answer = claim.get(delayMs + WOKEN_WITHIN_MS, TimeUnit.MILLISECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.json().get("data")).hasSize(1);
        assertThat(answer.json().get("data").get(0).get("id").asText()).isEqualTo(runId);
        assertThat(ms).isGreaterThanOrEqualTo(delayMs).isLessThan(delayMs + WOKEN_WITHIN_MS);
    }
}
