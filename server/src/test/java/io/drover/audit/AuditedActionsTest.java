package io.drover.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Workflow definitions, workflow-run operator actions, standalone approvals and event sends each
 * leave their audit row, and the project's chain verifies afterwards.
 */
@DroverTest
class AuditedActionsTest {
    static TestServer server;
    static Api api;

    static JsonNode ok(Api.Answer a, int status) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        return a.json();
    }

    static String runStatus(String id) {
        return api.get("/v1/workflow-runs/" + id).json().get("status").asText();
    }

    static void await(String id, String status) {
        Await.until("workflow run " + id + " " + status, Duration.ofSeconds(30), () -> runStatus(id).equals(status));
    }

    /** The newest audit row of each action in the project: action -> row. */
    static Map<String, JsonNode> audited() {
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode row : ok(api.get("/v1/audit-events?limit=500"), 200).get("data")) {
            out.putIfAbsent(row.get("action").asText(), row);
        }
        return out;
    }

    @Test
    void everyWorkflowApprovalAndEventActionIsAudited() {
        ok(api.post("/v1/jobs", Map.of("slug", "wa-step", "queue", "wa-q", "max_attempts", 1)), 201);
        String wf = ok(api.post("/v1/workflows", Map.of("slug", "wa", "steps", List.of(
                Map.of("id", "ask", "type", "approval"),
                Map.of("id", "do-it", "job", "wa-step", "depends_on", List.of("ask"))))), 201).get("id").asText();
        ok(api.patch("/v1/workflows/wa", Map.of("description", "audited")), 200);

        // run 1: approved, its job step fails, the operator retries it, then cancels the run
        String run1 = ok(api.post("/v1/workflows/wa/trigger", Map.of("input", Map.of())), 201).get("id").asText();
        await(run1, "waiting");
        ok(api.post("/v1/workflow-runs/" + run1 + "/steps/ask/approve", Map.of("comment", "go")), 200);
        failOneRun();
        await(run1, "failed");
        ok(api.post("/v1/workflow-runs/" + run1 + "/steps/do-it/retry", Map.of()), 200);
        ok(api.post("/v1/workflow-runs/" + run1 + "/cancel", Map.of()), 200);
        // run 2: rejected
        String run2 = ok(api.post("/v1/workflows/wa/trigger", Map.of("input", Map.of())), 201).get("id").asText();
        await(run2, "waiting");
        ok(api.post("/v1/workflow-runs/" + run2 + "/steps/ask/reject", Map.of("comment", "no")), 200);

        // standalone approvals, events by key and prefix
        String yes = ok(api.post("/v1/approvals", Map.of("action", "ship it", "continuation_event", "wa:yes")), 201)
                .get("id").asText();
        ok(api.post("/v1/approvals/" + yes + "/approve", Map.of()), 200);
        String no = ok(api.post("/v1/approvals", Map.of("action", "drop it")), 201).get("id").asText();
        ok(api.post("/v1/approvals/" + no + "/reject", Map.of("comment", "keep it")), 200);
        String lapsed = ok(api.post("/v1/approvals", Map.of("action", "wait", "expires_in_secs", 1)), 201)
                .get("id").asText();
        ok(api.post("/v1/events/wa:key/send", Map.of("payload", Map.of("n", 1))), 200);
        ok(api.post("/v1/events/prefix/wa:/send", Map.of("payload", Map.of("n", 2))), 200);
        ok(api.delete("/v1/workflows/wa"), 200);
        Await.until("approval " + lapsed + " expired", Duration.ofSeconds(20),
                () -> api.get("/v1/approvals/" + lapsed).json().get("status").asText().equals("expired"));

        Map<String, JsonNode> rows = audited();
        assertThat(rows.keySet()).contains("workflow.create", "workflow.update", "workflow.delete",
                "workflow_run.trigger", "workflow_run.step_approve", "workflow_run.step_retry", "workflow_run.cancel",
                "workflow_run.step_reject", "approval.create", "approval.approve", "approval.reject", "approval.expire",
                "event.send", "event.send_prefix");
        assertThat(rows.get("workflow.create").get("target_id").asText()).isEqualTo(wf);
        assertThat(rows.get("workflow.update").at("/details/version").asInt()).isEqualTo(2);
        assertThat(rows.get("workflow_run.cancel").get("target_id").asText()).isEqualTo(run1);
        assertThat(rows.get("workflow_run.step_reject").get("target_id").asText()).isEqualTo(run2);
        assertThat(rows.get("workflow_run.step_reject").at("/details/step").asText()).isEqualTo("ask");
        assertThat(rows.get("approval.reject").get("target_id").asText()).isEqualTo(no);
        assertThat(rows.get("approval.expire").at("/actor/type").asText()).isEqualTo("system");
        assertThat(rows.get("event.send").get("target_id").asText()).isEqualTo("wa:key");
        assertThat(rows.get("event.send_prefix").get("target_id").asText()).isEqualTo("wa:");
        assertThat(rows.get("workflow_run.trigger").at("/actor/type").asText()).isEqualTo("api_key");
        List<String> triggered = new ArrayList<>();
        for (JsonNode r : ok(api.get("/v1/audit-events?action=workflow_run.trigger"), 200).get("data")) {
            triggered.add(r.get("target_id").asText());
        }
        assertThat(triggered).containsExactlyInAnyOrder(run1, run2);

        // refused actions write nothing: a second approve, cancelling a canceled run, an unknown workflow
        long before = ok(api.get("/v1/audit-events/verify"), 200).get("rows_checked").asLong();
        assertThat(api.post("/v1/approvals/" + yes + "/approve", Map.of()).status()).isEqualTo(409);
        assertThat(api.post("/v1/workflow-runs/" + run1 + "/cancel", Map.of()).status()).isEqualTo(409);
        assertThat(api.delete("/v1/workflows/wa").status()).isEqualTo(404);
        JsonNode v = ok(api.get("/v1/audit-events/verify"), 200);
        assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
        assertThat(v.get("rows_checked").asLong()).isEqualTo(before);
    }

    /** Claims the job step's run as a worker and fails it for good. */
    static void failOneRun() {
        JsonNode claimed = Await.value("a run of wa-step", Duration.ofSeconds(30),
                () -> ok(api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("wa-q"), "max", 1,
                        "wait_ms", 1000)), 200).get("data"), d -> d.size() == 1);
        String run = claimed.get(0).get("id").asText();
        ok(api.post("/v1/runs/" + run + "/fail", Map.of("worker_id", "w", "error",
                Map.of("type", "boom", "message", "failed on purpose"), "retryable", false)), 200);
    }
}
