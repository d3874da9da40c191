package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.RetryPolicy;
import io.drover.client.Run;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK's run records: ctx.checkpoint / lastCheckpoint across attempts, recordToolCall, waitForEvent. */
@DroverTest(shared = true)
class WorkerRecordsTest {
    static DroverClient client;
    static Api api;
    Worker worker;

    record Progress(int step) {}

    @AfterEach
    void stopWorker() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aRetriedHandlerGoesOnFromItsLastCheckpoint() {
        client.createJob(JobSpec.builder("sdk-cp").queue("sdk-cp").maxAttempts(2).retry(RetryPolicy.fixed(50))
                .build());
        List<String> seen = new CopyOnWriteArrayList<>();
        worker = SdkTesting.worker(client, "sdk-cp").handler("sdk-cp", (ctx, payload) -> {
            Optional<Progress> last = ctx.lastCheckpoint(Progress.class);
            seen.add(ctx.attempt() + ":" + last.map(p -> Integer.toString(p.step())).orElse("none"));
            if (ctx.attempt() == 1) {
                ctx.recordToolCall("search", Map.of("q", "drover"), Map.of("hits", 3), null, Duration.ofMillis(7));
                ctx.checkpoint(new Progress(1));
                ctx.checkpoint(new Progress(2));
                assertThat(ctx.lastCheckpoint(Progress.class)).contains(new Progress(2));
                throw new IllegalStateException("crash after step 2");
            }
            return "resumed after step " + last.orElseThrow().step();
        }).build();
        worker.start();

        Run run = client.trigger("sdk-cp", TriggerRequest.of(null));
        api.awaitStatus("/v1/runs/" + run.id(), "completed");
        assertThat(client.getRun(run.id()).result().asText()).isEqualTo("resumed after step 2");
        assertThat(seen).containsExactly("1:none", "2:2");
        var calls = client.listToolCalls(run.id(), null, null).data();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).get("name").asText()).isEqualTo("search");
        assertThat(calls.get(0).at("/output/hits").asInt()).isEqualTo(3);
        assertThat(calls.get(0).get("duration_ms").asLong()).isEqualTo(7);
    }

    @Test
    void aHandlerWaitsForAnEventWithoutHoldingTheWorkerAndGetsItsPayload() {
        client.createJob(JobSpec.builder("sdk-wait").queue("sdk-wait").build());
        AtomicInteger calls = new AtomicInteger();
        worker = SdkTesting.worker(client, "sdk-wait").handler("sdk-wait", (ctx, payload) -> {
            calls.incrementAndGet();
            Optional<JsonNode> event = ctx.waitForEvent("sdk-approved-" + ctx.runId(), Duration.ofMinutes(5));
            return event.map(e -> e.get("by").asText()).orElse("timed out");
        }).build();
        worker.start();

        Run run = client.trigger("sdk-wait", TriggerRequest.of(null));
        api.awaitStatus("/v1/runs/" + run.id(), "waiting");
        assertThat(client.getRun(run.id()).workerId()).as("the worker let go").isNull();
        Api.Answer sent = api.post("/v1/events/sdk-approved-" + run.id() + "/send", Map.of("payload",
                Map.of("by", "ada")));
        assertThat(sent.status()).as(sent.text()).isEqualTo(200);
        api.awaitStatus("/v1/runs/" + run.id(), "completed");
        Run done = client.getRun(run.id());
        assertThat(done.result().asText()).isEqualTo("ada");
        assertThat(done.attempt()).isEqualTo(1);
        assertThat(calls.get()).isEqualTo(2);
        assertThat(client.getRun(run.id()).status()).isEqualTo(RunStatus.COMPLETED);
    }
}
