package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.ChildRun;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunEvent;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's child runs and continuations (issue 18 items 1-4) through a real server: a handler
 * triggers children with {@code ctx.trigger}, lets go of its run with {@code ctx.waitForChildren()}
 * (with one worker slot, so the children can only run because the parent gave its slot up), and
 * sees them in {@code ctx.children()} when claimed again; {@code ctx.continueWith} chains runs.
 */
@DroverTest(shared = true)
class LineageSdkTest {

    static DroverClient client;
    static Api api;
    Worker worker;

    @AfterEach
    void stopWorker() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aParentFansOutWaitsWithoutItsSlotAndSumsItsChildren() {
        client.createJob(JobSpec.builder("sdk-fan-parent").queue("sdk-fan").build());
        client.createJob(JobSpec.builder("sdk-fan-child").queue("sdk-fan").build());
        List<Integer> childrenSeen = new CopyOnWriteArrayList<>();
        worker = SdkTesting.worker(client, "sdk-fan").concurrency(1)
                .handler("sdk-fan-parent", (ctx, payload) -> {
                    List<ChildRun> children = ctx.children();
                    if (children.isEmpty()) {
                        for (int n = 1; n <= 3; n++) {
                            Run child = ctx.trigger("sdk-fan-child", Map.of("n", n));
                            assertThat(child.parentRunId()).isEqualTo(ctx.runId());
                        }
                        ctx.waitForChildren();
                    }
                    childrenSeen.add(children.size());
                    int sum = 0;
                    for (ChildRun c : children) {
                        assertThat(c.status()).isEqualTo(RunStatus.COMPLETED);
                        sum += c.result().asInt();
                    }
                    return sum;
                })
                .handler("sdk-fan-child", (ctx, payload) -> payload.get("n").asInt() * 10)
                .build();
        worker.start();

        Run parent = client.trigger("sdk-fan-parent", TriggerRequest.of(null));
        api.awaitStatus("/v1/runs/" + parent.id(), "completed");
        Run done = client.getRun(parent.id());
        assertThat(done.result().asInt()).isEqualTo(60);
        assertThat(childrenSeen).containsExactly(3);
        assertThat(client.listChildren(parent.id(), null, null).data()).hasSize(3)
                .allSatisfy(c -> assertThat(c.parentRunId()).isEqualTo(parent.id()));
        assertThat(client.runEvents(parent.id())).extracting(RunEvent::type)
                .containsSubsequence("claimed", "waiting", "children_settled", "claimed", "completed");
    }

    @Test
    void continueWithChainsRunsOfTheSameJob() {
        client.createJob(JobSpec.builder("sdk-count").queue("sdk-count").build());
        worker = SdkTesting.worker(client, "sdk-count").handler("sdk-count", (ctx, payload) -> {
            int n = payload.get("n").asInt();
            if (n < 3) {
                ctx.continueWith(Map.of("n", n + 1));
            }
            return "done at depth " + ctx.run().lineageDepth();
        }).build();
        worker.start();

        Run first = client.trigger("sdk-count", TriggerRequest.of(Map.of("n", 0)));
        api.awaitStatus("/v1/runs/" + first.id(), "completed");
        String id = first.id();
        for (int depth = 1; depth <= 3; depth++) {
            // Each continuation runs on its own: wait for this one before reading what it continued into.
            api.awaitStatus("/v1/runs/" + id, "completed");
            String next = client.getRun(id).result().get("continuation").asText();
            Run cont = client.getRun(next);
            assertThat(cont.continuationOf()).isEqualTo(id);
            assertThat(cont.lineageDepth()).isEqualTo(depth);
            id = next;
        }
        api.awaitStatus("/v1/runs/" + id, "completed");
        JsonNode last = api.get("/v1/runs/" + id).json();
        assertThat(last.get("result").asText()).isEqualTo("done at depth 3");
        assertThat(SdkTesting.runs(client, "sdk-count", null)).hasSize(4);
    }
}
