package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Approvals, event waits, sleeps, sub-workflows, cancel cascades, version pinning, concurrency keys. */
@DroverTest
class WorkflowWaitsTest {
    static Api api;
    static StepWorker worker;

    @BeforeAll
    static void start() {
        job(api, "echo", "waits");
        worker = new StepWorker(api, "waits", run -> Map.of("got", run.get("payload")));
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    @Test
    void approvalApproveRejectAndExpiry() {
        workflow(api, Map.of("slug", "gate", "steps", List.of(
                Map.of("id", "ask", "type", "approval", "expires_in_secs", 3600,
                        "payload", Map.of("amount", "{{input.amount}}")),
                Map.of("id", "pay", "job", "echo", "depends_on", List.of("ask"),
                        "payload", Map.of("comment", "{{steps.ask.output.comment}}")))));
        String approved = trigger(api, "gate", Map.of("amount", 10));
        api.awaitStatus("/v1/workflow-runs/" + approved, "waiting");
        assertThat(api.get("/v1/workflow-runs?workflow=gate&status=waiting").json().get("data").toString())
                .contains(approved);
        var ok = api.post("/v1/workflow-runs/" + approved + "/steps/ask/approve", Map.of("comment", "fine"));
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        JsonNode run = api.awaitStatus("/v1/workflow-runs/" + approved, "completed");
        assertThat(step(run, "pay").get("output").get("got").get("comment").asText()).isEqualTo("fine");
        // approving twice is a conflict
        assertThat(api.post("/v1/workflow-runs/" + approved + "/steps/ask/approve", Map.of()).status()).isEqualTo(409);

        String rejected = trigger(api, "gate", Map.of("amount", 99));
        api.awaitStatus("/v1/workflow-runs/" + rejected, "waiting");
        api.post("/v1/workflow-runs/" + rejected + "/steps/ask/reject", Map.of("comment", "too much"));
        run = awaitFinal(api, rejected);
        assertThat(run.get("status").asText()).isEqualTo("failed");
        assertThat(step(run, "ask").get("error").get("type").asText()).isEqualTo("rejected");
        assertThat(step(run, "pay").get("status").asText()).isEqualTo("canceled");

        workflow(api, Map.of("slug", "gate-short", "steps", List.of(
                Map.of("id", "ask", "type", "approval", "expires_in_secs", 1))));
        run = awaitFinal(api, trigger(api, "gate-short", Map.of()));
        assertThat(run.get("status").asText()).isEqualTo("failed");
        assertThat(step(run, "ask").get("error").get("type").asText()).isEqualTo("approval_expired");
    }

    @Test
    void standaloneApprovalSendsItsContinuationEvent() {
        workflow(api, Map.of("slug", "agent", "steps", List.of(
                Map.of("id", "decision", "type", "wait_for_event", "event_key", "approval:{{input.req}}"))));
        String run = trigger(api, "agent", Map.of("req", "r1"));
        var created = api.post("/v1/approvals", Map.of("action", "delete prod table", "risk_level", "high",
                "details", Map.of("table", "users"), "expires_in_secs", 600, "continuation_event", "approval:r1"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("status").asText()).isEqualTo("pending");
        String approvalId = created.json().get("id").asText();
        assertThat(api.post("/v1/approvals", Map.of("action", "x", "risk_level", "extreme")).status()).isEqualTo(422);
        var rejected = api.post("/v1/approvals/" + approvalId + "/reject", Map.of("comment", "no way"));
        assertThat(rejected.json().get("status").asText()).isEqualTo("rejected");
        JsonNode done = api.awaitStatus("/v1/workflow-runs/" + run, "completed");
        assertThat(step(done, "decision").get("output").get("status").asText()).isEqualTo("rejected");
        assertThat(api.post("/v1/approvals/" + approvalId + "/approve", Map.of()).status()).isEqualTo(409);

        var expiring = api.post("/v1/approvals", Map.of("action", "y", "expires_in_secs", 1));
        String expId = expiring.json().get("id").asText();
        api.awaitStatus("/v1/approvals/" + expId, "expired", Duration.ofSeconds(10));
    }

    @Test
    void eventsByKeyByPrefixAndTimeout() {
        workflow(api, Map.of("slug", "waiter", "steps", List.of(
                Map.of("id", "e", "type", "wait_for_event", "event_key", "order:{{input.id}}:paid",
                        "timeout_secs", 60),
                Map.of("id", "after", "job", "echo", "depends_on", List.of("e"),
                        "payload", Map.of("amount", "{{steps.e.output.amount}}")))));
        String byKey = trigger(api, "waiter", Map.of("id", "1"));
        api.awaitStatus("/v1/workflow-runs/" + byKey, "waiting");
        var sent = api.post("/v1/events/order:1:paid/send", Map.of("payload", Map.of("amount", 5)));
        assertThat(sent.status()).as(sent.text()).isEqualTo(200);
        assertThat(sent.json().get("resolved").asInt()).isEqualTo(1);
        JsonNode run = api.awaitStatus("/v1/workflow-runs/" + byKey, "completed");
        assertThat(step(run, "after").get("output").get("got").get("amount").asInt()).isEqualTo(5);
        // same payload again: idempotent; another payload: conflict
        var again = api.post("/v1/events/order:1:paid/send", Map.of("payload", Map.of("amount", 5)));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("duplicate").asBoolean()).isTrue();
        assertThat(api.post("/v1/events/order:1:paid/send", Map.of("payload", Map.of("amount", 6))).status())
                .isEqualTo(409);
        // a waiter that starts after its event was sent gets it at once
        assertThat(api.awaitStatus("/v1/workflow-runs/" + trigger(api, "waiter", Map.of("id", "1")), "completed")).isNotNull();

        String p1 = trigger(api, "waiter", Map.of("id", "2"));
        String p2 = trigger(api, "waiter", Map.of("id", "3"));
        api.awaitStatus("/v1/workflow-runs/" + p1, "waiting");
        api.awaitStatus("/v1/workflow-runs/" + p2, "waiting");
        var prefix = api.post("/v1/events/prefix/order:/send", Map.of("payload", Map.of("amount", 1)));
        assertThat(prefix.json().get("resolved").asInt()).isEqualTo(2);
        api.awaitStatus("/v1/workflow-runs/" + p1, "completed");
        api.awaitStatus("/v1/workflow-runs/" + p2, "completed");

        workflow(api, Map.of("slug", "waiter-short", "steps", List.of(
                Map.of("id", "e", "type", "wait_for_event", "event_key", "never", "timeout_secs", 1,
                        "on_failure", "continue"),
                Map.of("id", "after", "job", "echo", "depends_on", List.of("e")))));
        run = awaitFinal(api, trigger(api, "waiter-short", Map.of()));
        assertThat(step(run, "e").get("status").asText()).isEqualTo("failed");
        assertThat(step(run, "e").get("error").get("type").asText()).isEqualTo("event_timeout");
        assertThat(step(run, "after").get("status").asText()).isEqualTo("completed");
    }

    @Test
    void sleepAndSubWorkflow() {
        workflow(api, Map.of("slug", "child", "steps", List.of(
                Map.of("id", "nap", "type", "sleep", "duration_secs", 1),
                Map.of("id", "work", "job", "echo", "depends_on", List.of("nap"), "payload", Map.of("v", "{{input.v}}"))),
                "output", Map.of("result", "{{steps.work.output.got.v}}")));
        workflow(api, Map.of("slug", "parent", "steps", List.of(
                Map.of("id", "sub", "type", "sub_workflow", "workflow", "child", "payload", Map.of("v", "{{input.v}}")),
                Map.of("id", "use", "job", "echo", "depends_on", List.of("sub"),
                        "payload", Map.of("r", "{{steps.sub.output.result}}")))));
        long t0 = System.nanoTime();
        String id = trigger(api, "parent", Map.of("v", "hello"));
        JsonNode run = awaitFinal(api, id);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(step(run, "use").get("output").get("got").get("r").asText()).isEqualTo("hello");
        String child = step(run, "sub").get("child_run_id").asText();
        JsonNode childRun = run(api, child);
        assertThat(childRun.get("parent_run_id").asText()).isEqualTo(id);
        assertThat(childRun.get("depth").asInt()).isEqualTo(1);

        // a workflow that calls itself is stopped by the depth limit
        workflow(api, Map.of("slug", "forever", "steps", List.of(
                Map.of("id", "again", "type", "sub_workflow", "workflow", "forever"))));
        JsonNode deep = awaitFinal(api, trigger(api, "forever", Map.of()));
        assertThat(deep.get("status").asText()).isEqualTo("failed");
        assertThat(deep.toString()).contains("max_depth");
    }

    @Test
    void cancelCascadesToStepsAndSubWorkflows() {
        workflow(api, Map.of("slug", "slow-child", "steps", List.of(
                Map.of("id", "nap", "type", "sleep", "duration_secs", 3600))));
        workflow(api, Map.of("slug", "slow-parent", "steps", List.of(
                Map.of("id", "sub", "type", "sub_workflow", "workflow", "slow-child"),
                Map.of("id", "ask", "type", "approval"))));
        String id = trigger(api, "slow-parent", Map.of());
        JsonNode run = api.awaitStatus("/v1/workflow-runs/" + id, "running");
        String child = step(run, "sub").get("child_run_id").asText();
        var canceled = api.post("/v1/workflow-runs/" + id + "/cancel", Map.of());
        assertThat(canceled.status()).as(canceled.text()).isEqualTo(200);
        assertThat(canceled.json().get("status").asText()).isEqualTo("canceled");
        assertThat(step(canceled.json(), "ask").get("status").asText()).isEqualTo("canceled");
        assertThat(run(api, child).get("status").asText()).isEqualTo("canceled");
        assertThat(api.post("/v1/workflow-runs/" + id + "/cancel", Map.of()).status()).isEqualTo(409);
    }

    @Test
    void runsStayOnTheVersionTheyStartedWith() {
        workflow(api, Map.of("slug", "pinned", "steps", List.of(
                Map.of("id", "ask", "type", "approval"),
                Map.of("id", "v1", "job", "echo", "depends_on", List.of("ask")))));
        String old = trigger(api, "pinned", Map.of());
        api.awaitStatus("/v1/workflow-runs/" + old, "waiting");
        var patched = api.patch("/v1/workflows/pinned", Map.of("steps", List.of(
                Map.of("id", "ask", "type", "approval"),
                Map.of("id", "v2", "job", "echo", "depends_on", List.of("ask")))));
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(patched.json().get("version").asInt()).isEqualTo(2);
        String fresh = trigger(api, "pinned", Map.of());
        api.post("/v1/workflow-runs/" + old + "/steps/ask/approve", Map.of());
        api.post("/v1/workflow-runs/" + fresh + "/steps/ask/approve", Map.of());
        JsonNode oldRun = api.awaitStatus("/v1/workflow-runs/" + old, "completed");
        JsonNode freshRun = api.awaitStatus("/v1/workflow-runs/" + fresh, "completed");
        assertThat(oldRun.get("version").asInt()).isEqualTo(1);
        assertThat(oldRun.get("steps").toString()).contains("\"v1\"").doesNotContain("\"v2\"");
        assertThat(freshRun.get("version").asInt()).isEqualTo(2);
        assertThat(freshRun.get("steps").toString()).contains("\"v2\"");
        assertThat(api.get("/v1/workflows/pinned/versions").json().get("data")).hasSize(2);
    }

    @Test
    void concurrencyKeySerializesStepsAcrossRuns() {
        workflow(api, Map.of("slug", "keyed", "steps", List.of(
                Map.of("id", "hold", "type", "approval", "concurrency_key", "acct-{{input.acct}}"))));
        String first = trigger(api, "keyed", Map.of("acct", "7"));
        String second = trigger(api, "keyed", Map.of("acct", "7"));
        api.awaitStatus("/v1/workflow-runs/" + first, "waiting");
        JsonNode blocked = run(api, second);
        assertThat(step(blocked, "hold").get("blocked").asBoolean()).isTrue();
        assertThat(api.get("/v1/workflow-runs/" + second + "/explain").json().toString())
                .contains("blocked_by_concurrency_key");
        api.post("/v1/workflow-runs/" + first + "/steps/hold/approve", Map.of());
        api.awaitStatus("/v1/workflow-runs/" + second, "waiting");
        api.post("/v1/workflow-runs/" + second + "/steps/hold/approve", Map.of());
        api.awaitStatus("/v1/workflow-runs/" + second, "completed");
    }

    @Test
    void triggerIsIdempotentByKey() {
        workflow(api, Map.of("slug", "idem", "steps", List.of(Map.of("id", "nap", "type", "sleep", "duration_secs", 0))));
        var a = api.post("/v1/workflows/idem/trigger", Map.of("input", Map.of(), "idempotency_key", "k1"));
        var b = api.post("/v1/workflows/idem/trigger", Map.of("input", Map.of(), "idempotency_key", "k1"));
        assertThat(a.status()).isEqualTo(201);
        assertThat(b.status()).isEqualTo(200);
        assertThat(b.json().get("id").asText()).isEqualTo(a.json().get("id").asText());
        assertThat(a.json().get("status").asText()).isEqualTo("completed");
    }
}
