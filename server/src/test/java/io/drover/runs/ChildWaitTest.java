package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A parent waits for its children without a worker (issue 18 item 2): executing -> waiting (no
 * worker, no lease), back to queued when its last child settles, exactly once even when children
 * settle at once, and its next claim carries the children.
 */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class ChildWaitTest {
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
        q.job("cw-parent", Map.of());
        q.job("cw-child", Map.of("max_attempts", 1));
        q.job("cw-race-parent", Map.of());
        q.job("cw-race-child", Map.of());
    }

    private static Api.Answer waitForChildren(String runId, String worker) {
        return q.post("/v1/runs/" + runId + "/wait", Map.of("worker_id", worker, "children", true));
    }

    @Test
    void theParentLetsGoWaitsAndIsQueuedAgainWithItsChildrenWhenTheLastSettles() {
        String parent = q.triggerId("cw-parent");
        q.claimOnly("pw", "cw-parent", parent, 30_000);
        String c1 = q.trigger("cw-child", Map.of("parent_run_id", parent, "payload", Map.of("n", 1))).get("id").asText();
        String c2 = q.trigger("cw-child", Map.of("parent_run_id", parent, "payload", Map.of("n", 2))).get("id").asText();

        Api.Answer waited = waitForChildren(parent, "pw");
        assertThat(waited.status()).as(waited.text()).isEqualTo(200);
        assertThat(waited.json().get("status").asText()).isEqualTo("waiting");
        assertThat(waited.json().get("worker_id").isNull()).as("the worker let go").isTrue();
        assertThat(waited.json().get("lease_expires_at").isNull()).isTrue();
        // The old holder holds nothing: it cannot complete, fail or heartbeat the parent.
        assertError(q.post("/v1/runs/" + parent + "/complete", Map.of("worker_id", "pw")), 409, "not_held");
        assertError(q.post("/v1/runs/" + parent + "/fail", Map.of("worker_id", "pw")), 409, "not_held");

        List<JsonNode> kids = q.claim("cw", "cw-child", 10, 30_000, 1_000);
        assertThat(kids).hasSize(2);
        assertThat(q.post("/v1/runs/" + c1 + "/complete", Map.of("worker_id", "cw", "result", Map.of("r", 1))).status())
                .isEqualTo(200);
        assertThat(q.status(parent)).as("one child still open").isEqualTo("waiting");
        assertThat(q.post("/v1/runs/" + c2 + "/fail", Map.of("worker_id", "cw", "error",
                Map.of("type", "Boom", "message", "no"), "retryable", false)).status()).isEqualTo(200);
        assertThat(q.status(parent)).isEqualTo("queued");
        assertThat(q.typedChain(parent)).containsExactly("created:_->queued", "claimed:queued->executing",
                "waiting:executing->waiting", "children_settled:waiting->queued");

        JsonNode again = q.claimOnly("pw2", "cw-parent", parent, 30_000);
        assertThat(again.get("attempt").asInt()).as("the wait is not an attempt").isEqualTo(1);
        JsonNode children = again.get("children");
        assertThat(children).hasSize(2);
        assertThat(children.get(0).get("id").asText()).isEqualTo(c1);
        assertThat(children.get(0).get("status").asText()).isEqualTo("completed");
        assertThat(children.get(0).get("result").get("r").asInt()).isEqualTo(1);
        assertThat(children.get(0).get("error").isNull()).isTrue();
        assertThat(children.get(1).get("id").asText()).isEqualTo(c2);
        assertThat(children.get(1).get("status").asText()).isEqualTo("failed");
        assertThat(children.get(1).get("error").get("type").asText()).isEqualTo("Boom");
        assertThat(q.post("/v1/runs/" + parent + "/complete", Map.of("worker_id", "pw2")).status()).isEqualTo(200);
    }

    @Test
    void withNoOpenChildTheParentIsQueuedAgainAtOnce() {
        String parent = q.triggerId("cw-parent");
        q.claimOnly("pw", "cw-parent", parent, 30_000);
        String child = q.trigger("cw-child", Map.of("parent_run_id", parent)).get("id").asText();
        assertThat(q.post("/v1/runs/" + child + "/cancel", Map.of()).status()).isEqualTo(200);
        Api.Answer waited = waitForChildren(parent, "pw");
        assertThat(waited.status()).as(waited.text()).isEqualTo(200);
        assertThat(waited.json().get("status").asText()).isEqualTo("queued");
        JsonNode again = q.claimOnly("pw", "cw-parent", parent, 30_000);
        assertThat(again.get("children")).hasSize(1);
        assertThat(again.get("children").get(0).get("status").asText()).isEqualTo("canceled");
    }

    @Test
    void aParentCanceledWhileWaitingStaysCanceled() {
        String parent = q.triggerId("cw-parent");
        q.claimOnly("pw", "cw-parent", parent, 30_000);
        String child = q.trigger("cw-child", Map.of("parent_run_id", parent)).get("id").asText();
        assertThat(waitForChildren(parent, "pw").status()).isEqualTo(200);
        assertThat(q.post("/v1/runs/" + parent + "/cancel", Map.of()).status()).isEqualTo(200);
        q.claimOnly("cw", "cw-child", child, 30_000);
        assertThat(q.post("/v1/runs/" + child + "/complete", Map.of("worker_id", "cw")).status()).isEqualTo(200);
        assertThat(q.status(parent)).isEqualTo("canceled");
        assertThat(q.typedChain(parent)).last().isEqualTo("canceled:waiting->canceled");
    }

    @Test
    void onlyTheHolderMayWaitAndBadBodiesChangeNothing() {
        String parent = q.triggerId("cw-parent");
        assertError(waitForChildren(parent, "pw"), 409, "not_held");
        q.claimOnly("pw", "cw-parent", parent, 30_000);
        assertError(waitForChildren(parent, "someone-else"), 409, "not_held");
        assertError(q.post("/v1/runs/" + parent + "/wait", Map.of("worker_id", "pw", "children", "yes")), 400,
                "invalid_type");
        assertError(q.post("/v1/runs/" + parent + "/wait", Map.of("worker_id", "pw", "children", true,
                "timeout_secs", 5)), 422, "validation_failed");
        assertError(waitForChildren(UUID.randomUUID().toString(), "pw"), 404, "not_found");
        assertThat(q.status(parent)).isEqualTo("executing");
        // The old body still pauses the run and keeps its worker.
        Api.Answer paused = q.post("/v1/runs/" + parent + "/wait", Map.of("worker_id", "pw", "timeout_secs", 60));
        assertThat(paused.status()).as(paused.text()).isEqualTo(200);
        assertThat(paused.json().get("worker_id").asText()).isEqualTo("pw");
    }

    /**
     * Two children settle at once, on two threads, for many parents: every parent is queued again
     * exactly once (one children_settled event), never left waiting. Without the parent's row lock
     * in the settling transaction, each settle may see the other still open and none resumes it.
     */
    @Test
    void twoChildrenSettlingAtOnceResumeTheParentExactlyOnce() throws Exception {
        int rounds = 25;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> parents = new ArrayList<>();
            List<Map<String, ?>> bodies = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                bodies.add(Map.of());
            }
            List<String> all = q.triggerBatch("cw-race-parent", bodies);
            assertThat(q.claim("rp", "cw-race-parent", rounds, 60_000, 0)).hasSize(rounds);
            for (String parent : all) {
                String a = q.trigger("cw-race-child", Map.of("parent_run_id", parent)).get("id").asText();
                String b = q.trigger("cw-race-child", Map.of("parent_run_id", parent)).get("id").asText();
                assertThat(waitForChildren(parent, "rp").json().get("status").asText()).isEqualTo("waiting");
                assertThat(q.claim("ra", "cw-race-child", 1, 60_000, 0)).hasSize(1);
                assertThat(q.claim("rb", "cw-race-child", 1, 60_000, 0)).hasSize(1);
                String holderOfA = q.run(a).get("worker_id").asText();
                String holderOfB = q.run(b).get("worker_id").asText();
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Integer> fa = pool.submit(() -> {
                    together.await();
                    return q.post("/v1/runs/" + a + "/complete", Map.of("worker_id", holderOfA)).status();
                });
                Future<Integer> fb = pool.submit(() -> {
                    together.await();
                    return q.post("/v1/runs/" + b + "/fail", Map.of("worker_id", holderOfB, "retryable", false)).status();
                });
                assertThat(fa.get()).isEqualTo(200);
                assertThat(fb.get()).isEqualTo(200);
                parents.add(parent);
            }
            for (String parent : parents) {
                assertThat(q.status(parent)).as("parent %s", parent).isEqualTo("queued");
                assertThat(q.count("SELECT count(*) FROM run_events WHERE run_id = ? AND type = 'children_settled'",
                        UUID.fromString(parent))).as("parent %s resumed once", parent).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
