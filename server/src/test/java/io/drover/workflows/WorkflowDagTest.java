package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shapes of DAGs: a diamond passing data, a 200-wide fan-out and fan-in, conditions skipping a branch. */
@DroverTest
class WorkflowDagTest {
    static Api api;
    static StepWorker worker;

    @BeforeAll
    static void start() {
        job(api, "double", "dag");
        job(api, "sum", "dag");
        // double: {n} -> {n: 2n}; sum: {values: [..]} -> {total}
        worker = new StepWorker(api, "dag", run -> {
            JsonNode p = run.get("payload");
            if (run.get("job_slug").asText().equals("double")) {
                return Map.of("n", p.get("n").asInt() * 2);
            }
            int total = 0;
            for (JsonNode v : p.get("values")) {
                total += v.asInt();
            }
            return Map.of("total", total);
        });
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    @Test
    void diamondPassesDataFromStepToStep() {
        workflow(api, Map.of("slug", "diamond", "steps", List.of(
                Map.of("id", "a", "job", "double", "payload", Map.of("n", "{{input.n}}")),
                Map.of("id", "b", "job", "double", "depends_on", List.of("a"), "payload", Map.of("n", "{{steps.a.output.n}}")),
                Map.of("id", "c", "job", "double", "depends_on", List.of("a"), "payload", Map.of("n", "{{steps.a.output.n}}")),
                Map.of("id", "d", "job", "sum", "depends_on", List.of("b", "c"),
                        "payload", Map.of("values", List.of("{{steps.b.output.n}}", "{{steps.c.output.n}}"))))));
        String id = trigger(api, "diamond", Map.of("n", 3));
        JsonNode run = api.awaitStatus("/v1/workflow-runs/" + id, "completed");
        assertThat(step(run, "a").get("output").get("n").asInt()).isEqualTo(6);
        assertThat(step(run, "d").get("output").get("total").asInt()).isEqualTo(24);
        assertThat(run.get("output").get("d").get("total").asInt()).isEqualTo(24);
        // job steps are ordinary runs that carry their workflow run and step
        JsonNode jobRun = api.get("/v1/runs/" + step(run, "d").get("run_id").asText()).json();
        assertThat(jobRun.get("workflow_run_id").asText()).isEqualTo(id);
        assertThat(jobRun.get("step_id").asText()).isEqualTo("d");
        JsonNode explain = api.get("/v1/workflow-runs/" + id + "/explain").json();
        assertThat(explain.get("summary").asText()).startsWith("The run completed.");
        assertThat(explain.get("steps")).hasSize(4);
    }

    @Test
    void fanOutAndFanInOf200() {
        List<Object> steps = new ArrayList<>();
        steps.add(Map.of("id", "root", "job", "double", "payload", Map.of("n", 1)));
        List<String> ids = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add("s" + i);
            values.add("{{steps.s" + i + ".output.n}}");
            steps.add(Map.of("id", "s" + i, "job", "double", "depends_on", List.of("root"),
                    "payload", Map.of("n", "{{steps.root.output.n}}")));
        }
        steps.add(Map.of("id", "join", "job", "sum", "depends_on", ids, "payload", Map.of("values", values)));
        workflow(api, Map.of("slug", "wide", "steps", steps));
        String id = trigger(api, "wide", Map.of());
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(step(run, "join").get("output").get("total").asInt()).isEqualTo(800);
        assertThat(worker.executions.get("join").get()).isEqualTo(1);
    }

    @Test
    void conditionsSkipABranch() {
        workflow(api, Map.of("slug", "branchy", "steps", List.of(
                Map.of("id", "a", "job", "double", "payload", Map.of("n", "{{input.n}}")),
                Map.of("id", "big", "job", "double", "depends_on", List.of("a"),
                        "condition", Map.of("path", "steps.a.output.n", "gte", 10), "payload", Map.of("n", 1)),
                Map.of("id", "small", "job", "double", "depends_on", List.of("a"),
                        "condition", Map.of("all", List.of(Map.of("path", "steps.a.output.n", "lt", 10),
                                Map.of("not", Map.of("path", "input.mode", "in", List.of("off", "none"))))),
                        "payload", Map.of("n", 2)),
                Map.of("id", "after_big", "job", "double", "depends_on", List.of("big"), "payload", Map.of("n", 3)),
                Map.of("id", "join", "job", "sum", "depends_on", List.of("big", "small"),
                        "payload", Map.of("values", List.of(0))))));
        String id = trigger(api, "branchy", Map.of("n", 2, "mode", "on"));
        JsonNode run = api.awaitStatus("/v1/workflow-runs/" + id, "completed");
        assertThat(step(run, "big").get("status").asText()).isEqualTo("skipped");
        assertThat(step(run, "big").get("skip_reason").asText()).isEqualTo("condition");
        assertThat(step(run, "after_big").get("status").asText()).isEqualTo("completed");
        assertThat(step(run, "small").get("status").asText()).isEqualTo("completed");
        assertThat(step(run, "join").get("status").asText()).isEqualTo("completed");
        JsonNode explain = api.get("/v1/workflow-runs/" + id + "/explain").json();
        JsonNode big = null;
        for (JsonNode s : explain.get("steps")) {
            if (s.get("step_id").asText().equals("big")) {
                big = s;
            }
        }
        assertThat(big.get("explanation").asText()).contains("condition").contains("false");
    }
}
