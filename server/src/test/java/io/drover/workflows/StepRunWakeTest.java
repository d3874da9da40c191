package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.job;
import static io.drover.workflows.WorkflowTesting.trigger;
import static io.drover.workflows.WorkflowTesting.workflow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs that the workflow engine makes or frees inside a transaction do their after-commit work
 * like any trigger: a claim parked on the node wakes at once, with the node's LISTEN connection
 * stopped and the poll a minute away, and the enqueued metric counts them. Step runs started when
 * a workflow starts (StepStarts), started when a step completes (Advance), and a slot freed when
 * a workflow run is canceled (cancelIfFree) each show one path.
 */
class StepRunWakeTest {
    static final long WOKEN_WITHIN_MS = 3_000;
    static TestServer deaf;
    static Api api;

    @BeforeAll
    static void start() {
        deaf = TestServer.start(Map.of("DROVER_POLL_INTERVAL_MS", "60000", "DROVER_PUSH_ENABLED", "false"));
        deaf.server().listener().stop();
        api = new Api(deaf);
    }

    @AfterAll
    static void stop() {
        if (deaf != null) {
            deaf.close();
        }
    }

    @Test
    void aStepRunStartedWithItsWorkflowWakesAParkedClaimAndIsCounted() throws Exception {
        job(api, "first-step", "first-step");
        workflow(api, Map.of("slug", "wake-first", "steps", List.of(Map.of("id", "a", "job", "first-step"))));
        double before = enqueued();
        JsonNode run = assertWokenBy("first-step", () -> trigger(api, "wake-first", Map.of()));
        assertThat(run.get("step_id").asText()).isEqualTo("a");
        assertThat(enqueued() - before).as("drover_runs_enqueued_total").isEqualTo(1.0);
    }

    @Test
    void aStepRunStartedWhenItsDependencyCompletesWakesAParkedClaim() throws Exception {
        job(api, "dep-a", "dep-a");
        job(api, "dep-b", "dep-b");
        workflow(api, Map.of("slug", "wake-next", "steps", List.of(Map.of("id", "a", "job", "dep-a"),
                Map.of("id", "b", "job", "dep-b", "depends_on", List.of("a")))));
        trigger(api, "wake-next", Map.of());
        JsonNode a = claim("dep-a", 0).get(0);
        double before = enqueued();
        JsonNode b = assertWokenBy("dep-b", () -> {
            var done = api.post("/v1/runs/" + a.get("id").asText() + "/complete", Map.of("worker_id", "w-dep-a"));
            assertThat(done.status()).as(done.text()).isEqualTo(200);
            return null;
        });
        assertThat(b.get("step_id").asText()).isEqualTo("b");
        assertThat(enqueued() - before).as("drover_runs_enqueued_total").isEqualTo(1.0);
    }

    @Test
    void aSlotFreedByCancelingAWorkflowRunWakesAParkedClaim() throws Exception {
        var j = api.post("/v1/jobs", Map.of("slug", "one-slot", "queue", "one-slot", "max_concurrency", 1));
        assertThat(j.status()).as(j.text()).isEqualTo(201);
        workflow(api, Map.of("slug", "wake-cancel", "steps", List.of(Map.of("id", "a", "job", "one-slot"))));
        String wf = trigger(api, "wake-cancel", Map.of());
        assertThat(claim("one-slot", 0)).hasSize(1); // the step's run holds the job's one slot
        var second = api.post("/v1/jobs/one-slot/trigger", Map.of());
        assertThat(second.status()).as(second.text()).isEqualTo(201);
        String waiting = second.json().get("id").asText();
        JsonNode admitted = assertWokenBy("one-slot", () -> {
            var canceled = api.post("/v1/workflow-runs/" + wf + "/cancel", Map.of());
            assertThat(canceled.status()).as(canceled.text()).isEqualTo(200);
            return null;
        });
        assertThat(admitted.get("id").asText()).isEqualTo(waiting);
    }

    private static List<JsonNode> claim(String queue, long waitMs) {
        Api.Answer a = api.post("/v1/worker/claim", Map.of("worker_id", "w-" + queue, "queues", List.of(queue),
                "max", 1, "wait_ms", waitMs));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        List<JsonNode> out = new java.util.ArrayList<>();
        a.json().get("data").forEach(out::add);
        return out;
    }

    /** Parks a claim on the queue, runs {@code action}, and answers the run the claim got, fast. */
    private static JsonNode assertWokenBy(String queue, java.util.function.Supplier<?> action) throws Exception {
        int parkedBefore = deaf.server().claimSignal().parked();
        CompletableFuture<List<JsonNode>> claim = CompletableFuture.supplyAsync(() -> claim(queue, 20_000));
        Await.until("the claim parks", Duration.ofSeconds(10),
                () -> deaf.server().claimSignal().parked() > parkedBefore);
        long t0 = System.nanoTime();
        action.get();
        List<JsonNode> got = claim.get(WOKEN_WITHIN_MS, TimeUnit.MILLISECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(WOKEN_WITHIN_MS);
        assertThat(got).hasSize(1);
        return got.get(0);
    }

    private static double enqueued() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(deaf.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("drover_runs_enqueued_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no drover_runs_enqueued_total in /metrics");
    }
}
