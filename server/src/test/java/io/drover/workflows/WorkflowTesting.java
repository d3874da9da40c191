package io.drover.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Small helpers shared by the workflow tests. */
final class WorkflowTesting {
    private WorkflowTesting() {}

    static final Set<String> FINAL = Set.of("completed", "failed", "canceled");

    static void job(Api api, String slug, String queue) {
        var r = api.post("/v1/jobs", Map.of("slug", slug, "queue", queue, "max_attempts", 1));
        assertThat(r.status()).as(r.text()).isIn(201, 409);
    }

    static void workflow(Api api, Object body) {
        var r = api.post("/v1/workflows", body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    static String trigger(Api api, String slug, Object input) {
        var r = api.post("/v1/workflows/" + slug + "/trigger", Map.of("input", input));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    static JsonNode run(Api api, String id) {
        return api.get("/v1/workflow-runs/" + id).json();
    }

    static JsonNode awaitFinal(Api api, String id) {
        return Await.value("workflow run " + id + " to finish", Duration.ofSeconds(60), () -> run(api, id),
                r -> FINAL.contains(r.get("status").asText()));
    }

    static JsonNode step(JsonNode run, String stepId) {
        for (JsonNode s : run.get("steps")) {
            if (s.get("step_id").asText().equals(stepId)) {
                return s;
            }
        }
        throw new AssertionError("no step " + stepId + " in " + run);
    }

    static JsonNode awaitStep(Api api, String runId, String stepId, String status) {
        JsonNode r = Await.value("step " + stepId + " " + status, Duration.ofSeconds(30), () -> run(api, runId),
                x -> step(x, stepId).get("status").asText().equals(status));
        return step(r, stepId);
    }
}
