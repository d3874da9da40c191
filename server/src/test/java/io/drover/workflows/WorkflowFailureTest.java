package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each failure policy, step retries, compensation in reverse order, and an operator retrying a failed step. */
@DroverTest
class WorkflowFailureTest {
    static Api api;
    static StepWorker worker;
    static final List<String> undone = new CopyOnWriteArrayList<>();
    static final AtomicInteger flaky = new AtomicInteger();
    static volatile boolean healed;

    @BeforeAll
    static void start() {
        for (String j : List.of("ok", "boom", "undo", "flaky", "fixable")) {
            job(api, j, "fail");
        }
        worker = new StepWorker(api, "fail", run -> {
            String job = run.get("job_slug").asText();
            JsonNode p = run.get("payload");
            switch (job) {
                case "boom" -> throw new IllegalStateException("boom");
                case "undo" -> {
                    undone.add(p.get("name").asText());
                    return Map.of();
                }
                case "flaky" -> {
                    if (flaky.incrementAndGet() < 3) {
                        throw new IllegalStateException("not yet");
                    }
                    return Map.of("tries", flaky.get());
                }
                case "fixable" -> {
                    if (!healed) {
                        throw new IllegalStateException("broken");
                    }
                    return Map.of("fixed", true);
                }
                default -> {
                    return Map.of("step", run.get("step_id").asText());
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    private static Map<String, Object> step(String id, String job, List<String> deps, String onFailure) {
        return Map.of("id", id, "job", job, "depends_on", deps, "on_failure", onFailure);
    }

    @Test
    void failWorkflowCancelsTheRest() {
        workflow(api, Map.of("slug", "fw", "steps", List.of(
                step("a", "boom", List.of(), "fail_workflow"),
                Map.of("id", "wait", "type", "sleep", "duration_secs", 3600),
                step("b", "ok", List.of("a"), "fail_workflow"))));
        String id = trigger(api, "fw", Map.of());
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("failed");
        assertThat(run.get("error").get("step_id").asText()).isEqualTo("a");
        assertThat(WorkflowTesting.step(run, "wait").get("status").asText()).isEqualTo("canceled");
        assertThat(WorkflowTesting.step(run, "b").get("status").asText()).isEqualTo("canceled");
    }

    @Test
    void skipDependentsSkipsOnlyTheBranch() {
        workflow(api, Map.of("slug", "sd", "steps", List.of(
                step("a", "boom", List.of(), "skip_dependents"),
                step("b", "ok", List.of("a"), "fail_workflow"),
                step("c", "ok", List.of("b"), "fail_workflow"),
                step("other", "ok", List.of(), "fail_workflow"))));
        JsonNode run = awaitFinal(api, trigger(api, "sd", Map.of()));
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(WorkflowTesting.step(run, "a").get("status").asText()).isEqualTo("failed");
        assertThat(WorkflowTesting.step(run, "b").get("status").asText()).isEqualTo("skipped");
        assertThat(WorkflowTesting.step(run, "b").get("skip_reason").asText()).isEqualTo("upstream");
        assertThat(WorkflowTesting.step(run, "c").get("status").asText()).isEqualTo("skipped");
        assertThat(WorkflowTesting.step(run, "other").get("status").asText()).isEqualTo("completed");
    }

    @Test
    void continueRunsDependents() {
        workflow(api, Map.of("slug", "co", "steps", List.of(
                step("a", "boom", List.of(), "continue"),
                step("b", "ok", List.of("a"), "fail_workflow"))));
        JsonNode run = awaitFinal(api, trigger(api, "co", Map.of()));
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(WorkflowTesting.step(run, "a").get("status").asText()).isEqualTo("failed");
        assertThat(WorkflowTesting.step(run, "b").get("status").asText()).isEqualTo("completed");
    }

    @Test
    void compensationRunsInReverseOrder() {
        undone.clear();
        workflow(api, Map.of("slug", "saga", "steps", List.of(
                Map.of("id", "book_flight", "job", "ok", "compensate", Map.of("job", "undo", "payload",
                        Map.of("name", "flight:{{steps.book_flight.output.step}}"))),
                Map.of("id", "book_hotel", "job", "ok", "depends_on", List.of("book_flight"),
                        "compensate", Map.of("job", "undo", "payload", Map.of("name", "hotel"))),
                Map.of("id", "book_car", "job", "ok", "depends_on", List.of("book_hotel"),
                        "compensate", Map.of("job", "undo", "payload", Map.of("name", "car"))),
                step("charge", "boom", List.of("book_car"), "compensate"))));
        String id = trigger(api, "saga", Map.of());
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("failed");
        assertThat(undone).containsExactly("car", "hotel", "flight:book_flight");
        assertThat(WorkflowTesting.step(run, "book_hotel").get("compensated").asBoolean()).isTrue();
        var decisions = api.get("/v1/workflow-runs/" + id + "/explain").json().get("run_decisions");
        assertThat(decisions.toString()).contains("compensating 3 completed step(s) in reverse order");
    }

    @Test
    void stepRetriesMakeNewRuns() {
        flaky.set(0);
        workflow(api, Map.of("slug", "retry", "steps", List.of(
                Map.of("id", "f", "job", "flaky", "retry", Map.of("max_attempts", 3)))));
        String id = trigger(api, "retry", Map.of());
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(WorkflowTesting.step(run, "f").get("attempt").asInt()).isEqualTo(3);
        assertThat(api.get("/v1/workflow-runs/" + id + "/explain").json().toString()).contains("retried: attempt 2 of 3");
    }

    @Test
    void operatorRetriesAFailedStepAndItsDependents() {
        healed = false;
        workflow(api, Map.of("slug", "fixme", "steps", List.of(
                step("a", "ok", List.of(), "fail_workflow"),
                step("b", "fixable", List.of("a"), "fail_workflow"),
                step("c", "ok", List.of("b"), "fail_workflow"))));
        String id = trigger(api, "fixme", Map.of());
        assertThat(awaitFinal(api, id).get("status").asText()).isEqualTo("failed");
        healed = true;
        var retried = api.post("/v1/workflow-runs/" + id + "/steps/b/retry", Map.of());
        assertThat(retried.status()).as(retried.text()).isEqualTo(200);
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(WorkflowTesting.step(run, "c").get("status").asText()).isEqualTo("completed");
        assertThat(worker.executions.get("a").get()).isGreaterThanOrEqualTo(1);
        // retrying a step that did not fail is refused
        assertThat(api.post("/v1/workflow-runs/" + id + "/steps/a/retry", Map.of()).status()).isEqualTo(409);
    }
}
