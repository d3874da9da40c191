package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.access.Role;
import io.drover.crypto.Keys;
import io.drover.identity.ApiKeys;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Roles on every route: a viewer reads and may not write, an operator runs work but may not
 * change jobs; revoked and expired keys are 401. Keys are inserted the way the server stores
 * them (HMAC under the pepper derived from the secrets key), not made through a back door.
 */
@DroverTest
class AuthTest {
    static TestServer server;
    static Api admin;
    static ApiKeys keys;
    static String queued;
    static String executing;
    static String completed;
    static String waitingRun;
    static String approvalId;
    static String sourceId;
    static String subscriptionId;
    static String webhookId;
    static String agentId;
    static String agentToken;
    static String taskId;
    static String commandId;
    static String batchId;
    static String drainId;
    static String sloId;

    static final String VIEWER = "drv_test_viewer_key_000000000001";
    static final String OPERATOR = "drv_test_operator_key_0000000001";
    static final String REVOKED = "drv_test_revoked_key_00000000001";
    static final String EXPIRED = "drv_test_expired_key_00000000001";

    @BeforeAll
    static void start() {
        // the SLO pass would rewrite the sample SLO's last evaluation between two snapshots
        server.server().sloEvaluator().stop();
        keys = new ApiKeys(server.db(), Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)));
        insertKey(VIEWER, Role.VIEWER, null, null);
        insertKey(OPERATOR, Role.OPERATOR, null, null);
        insertKey(REVOKED, Role.ADMIN, Instant.now().minusSeconds(60), null);
        insertKey(EXPIRED, Role.ADMIN, null, Instant.now().minusSeconds(60));

        assertThat(admin.post("/v1/jobs", Map.of("slug", "auth-job", "queue", "authq")).status()).isEqualTo(201);
        completed = admin.post("/v1/jobs/auth-job/trigger", Map.of()).json().get("id").asText();
        claim(completed);
        assertThat(admin.post("/v1/runs/" + completed + "/complete", Map.of("worker_id", "w")).status())
                .isEqualTo(200);
        executing = admin.post("/v1/jobs/auth-job/trigger", Map.of()).json().get("id").asText();
        claim(executing);
        queued = admin.post("/v1/jobs/auth-job/trigger", Map.of()).json().get("id").asText();

        assertThat(admin.post("/v1/workflows", Map.of("slug", "auth-wf", "steps", List.of(
                Map.of("id", "ask", "type", "approval"),
                Map.of("id", "work", "job", "auth-job", "depends_on", List.of("ask"))))).status()).isEqualTo(201);
        waitingRun = admin.post("/v1/workflows/auth-wf/trigger", Map.of()).json().get("id").asText();
        approvalId = admin.post("/v1/approvals", Map.of("action", "auth")).json().get("id").asText();
        sourceId = admin.post("/v1/event-sources", Map.of("slug", "auth-src")).json().get("id").asText();
        subscriptionId = admin.post("/v1/event-sources/auth-src/subscriptions", Map.of("job", "auth-job")).json()
                .get("id").asText();
        // disabled: no deliveries change rows in the background while snapshots are compared
        webhookId = admin.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/auth-hook", "enabled", false)).json()
                .get("id").asText();
        // an agent that never says hello (no liveness change in the background), with a failed task and a
        // finished command (no expiry in the background either)
        var agent = admin.post("/v1/agents", Map.of("name", "auth-agent")).json();
        agentId = agent.get("id").asText();
        agentToken = agent.get("token").asText();
        Api asAgent = admin.withKey(agentToken);
        assertThat(asAgent.post("/v1/agent/events", Map.of("events", List.of(Map.of("seq", 1, "type", "task_failed",
                "task", Map.of("external_id", "t-1", "engine", "quartz"))))).status()).isEqualTo(200);
        assertThat(asAgent.post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "nightly"))))
                .status()).isEqualTo(200);
        taskId = admin.get("/v1/tasks").json().get("data").get(0).get("id").asText();
        commandId = admin.post("/v1/tasks/" + taskId + "/retry", Map.of()).json().get("id").asText();
        assertThat(asAgent.post("/v1/agent/commands/" + commandId + "/result", Map.of("ok", true)).status())
                .isEqualTo(200);
        // a batch that matched nothing: done at once, nothing changes in the background
        batchId = admin.post("/v1/runs/cancel", Map.of("filter", Map.of("status", "dead_letter"), "confirm_count", 0))
                .json().get("batch_id").asText();
        drainId = admin.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/auth-drain", "enabled", false))
                .json().get("id").asText();
        sloId = admin.post("/v1/jobs/auth-job/slos", Map.of("name", "auth-slo", "metric", "success_rate",
                "target", 0.99)).json().get("id").asText();
    }

    private static void claim(String expected) {
        var c = admin.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("authq"),
                "lease_ms", 3_600_000));
        assertThat(c.json().get("data").get(0).get("id").asText()).isEqualTo(expected);
    }

    static UUID insertKey(String key, Role role, Instant revokedAt, Instant expiresAt) {
        UUID id = UuidV7.next();
        server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role, revoked_at, expires_at)
                    SELECT ?, id, ?, ?, ?, ?, ?, ? FROM projects WHERE slug = 'default'""")) {
                ps.setObject(1, id);
                ps.setString(2, "test " + role.db());
                ps.setString(3, key.substring(0, 8));
                ps.setBytes(4, keys.hash(key));
                ps.setString(5, role.db());
                ps.setTimestamp(6, revokedAt == null ? null : Timestamp.from(revokedAt));
                ps.setTimestamp(7, expiresAt == null ? null : Timestamp.from(expiresAt));
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            return null;
        });
        return id;
    }

    record Req(String method, String path, Object body) {}

    /** For every route: a request an admin could make successfully (or that fails only on state). */
    private static Map<String, Req> samples() {
        Map<String, Req> m = new LinkedHashMap<>();
        String e = "/v1/runs/" + executing;
        m.put("GET /healthz", new Req("GET", "/healthz", null));
        m.put("GET /readyz", new Req("GET", "/readyz", null));
        m.put("GET /metrics", new Req("GET", "/metrics", null));
        m.put("GET /openapi.json", new Req("GET", "/openapi.json", null));
        m.put("POST /v1/jobs", new Req("POST", "/v1/jobs", Map.of("slug", "made-by-role")));
        m.put("GET /v1/jobs", new Req("GET", "/v1/jobs", null));
        m.put("GET /v1/jobs/{job}", new Req("GET", "/v1/jobs/auth-job", null));
        m.put("PATCH /v1/jobs/{job}", new Req("PATCH", "/v1/jobs/auth-job", Map.of("name", "renamed")));
        m.put("DELETE /v1/jobs/{job}", new Req("DELETE", "/v1/jobs/auth-job", null));
        m.put("GET /v1/jobs/{job}/versions", new Req("GET", "/v1/jobs/auth-job/versions", null));
        m.put("POST /v1/jobs/{job}/trigger", new Req("POST", "/v1/jobs/auth-job/trigger", Map.of()));
        m.put("POST /v1/jobs/{job}/trigger/batch", new Req("POST", "/v1/jobs/auth-job/trigger/batch",
                Map.of("runs", List.of(Map.of()))));
        m.put("GET /v1/runs", new Req("GET", "/v1/runs", null));
        m.put("GET /v1/runs/{id}", new Req("GET", "/v1/runs/" + queued, null));
        m.put("GET /v1/runs/{id}/events", new Req("GET", "/v1/runs/" + queued + "/events", null));
        m.put("POST /v1/runs/{id}/cancel", new Req("POST", "/v1/runs/" + queued + "/cancel", Map.of()));
        m.put("POST /v1/runs/{id}/replay", new Req("POST", "/v1/runs/" + completed + "/replay", Map.of()));
        m.put("POST /v1/worker/claim", new Req("POST", "/v1/worker/claim", Map.of("worker_id", "w2",
                "queues", List.of("authq"))));
        m.put("POST /v1/worker/heartbeat", new Req("POST", "/v1/worker/heartbeat", Map.of("worker_id", "w",
                "run_ids", List.of(executing))));
        m.put("POST /v1/maintenance/retention", new Req("POST", "/v1/maintenance/retention", Map.of()));
        m.put("POST /v1/worker/runs", new Req("POST", "/v1/worker/runs", Map.of("worker_id", "w",
                "run_ids", List.of(executing))));
        m.put("POST /v1/worker/complete", new Req("POST", "/v1/worker/complete", Map.of("worker_id", "w",
                "results", List.of(Map.of("run_id", executing, "result", 1)))));
        m.put("POST /v1/runs/{id}/heartbeat", new Req("POST", e + "/heartbeat", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/complete", new Req("POST", e + "/complete", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/fail", new Req("POST", e + "/fail", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/release", new Req("POST", e + "/release", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/wait", new Req("POST", e + "/wait", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/resume", new Req("POST", e + "/resume", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/continue", new Req("POST", e + "/continue", Map.of("worker_id", "w")));
        m.put("POST /v1/runs/{id}/checkpoints", new Req("POST", e + "/checkpoints", Map.of("worker_id", "w",
                "state", 1)));
        m.put("POST /v1/runs/{id}/tool-calls", new Req("POST", e + "/tool-calls", Map.of("worker_id", "w",
                "name", "t")));
        m.put("GET /v1/runs/{id}/tool-calls", new Req("GET", e + "/tool-calls", null));
        // identity: public and account routes first, then the project's
        String someone = UuidV7.next().toString();
        m.put("POST /v1/auth/login", new Req("POST", "/v1/auth/login", Map.of("email", "x@example.com", "password", "x")));
        m.put("POST /v1/auth/logout", new Req("POST", "/v1/auth/logout", null));
        m.put("GET /v1/me", new Req("GET", "/v1/me", null));
        m.put("POST /v1/invitations/accept", new Req("POST", "/v1/invitations/accept", Map.of("token", "dri_x")));
        m.put("POST /v1/password-resets", new Req("POST", "/v1/password-resets", Map.of("email", "x@example.com")));
        m.put("POST /v1/password-resets/confirm", new Req("POST", "/v1/password-resets/confirm",
                Map.of("token", "drp_x", "password", "x")));
        m.put("GET /v1/projects", new Req("GET", "/v1/projects", null));
        m.put("POST /v1/projects", new Req("POST", "/v1/projects", Map.of("slug", "p2")));
        m.put("GET /v1/projects/{project}", new Req("GET", "/v1/projects/default", null));
        m.put("PATCH /v1/projects/{project}", new Req("PATCH", "/v1/projects/default", Map.of("name", "Default")));
        m.put("GET /v1/projects/{project}/members", new Req("GET", "/v1/projects/default/members", null));
        m.put("PATCH /v1/projects/{project}/members/{user_id}", new Req("PATCH",
                "/v1/projects/default/members/" + someone, Map.of("role", "viewer")));
        m.put("DELETE /v1/projects/{project}/members/{user_id}", new Req("DELETE",
                "/v1/projects/default/members/" + someone, null));
        m.put("POST /v1/invitations", new Req("POST", "/v1/invitations", Map.of("email", "i@example.com")));
        m.put("GET /v1/invitations", new Req("GET", "/v1/invitations", null));
        m.put("DELETE /v1/invitations/{id}", new Req("DELETE", "/v1/invitations/" + someone, null));
        m.put("POST /v1/api-keys", new Req("POST", "/v1/api-keys", Map.of("name", "k", "role", "viewer")));
        m.put("GET /v1/api-keys", new Req("GET", "/v1/api-keys", null));
        m.put("GET /v1/api-keys/{id}", new Req("GET", "/v1/api-keys/" + someone, null));
        m.put("DELETE /v1/api-keys/{id}", new Req("DELETE", "/v1/api-keys/" + someone, null));
        m.put("POST /v1/api-keys/{id}/rotate", new Req("POST", "/v1/api-keys/" + someone + "/rotate", Map.of()));
        m.put("POST /v1/secrets", new Req("POST", "/v1/secrets", Map.of("name", "S", "value", "v")));
        m.put("GET /v1/secrets", new Req("GET", "/v1/secrets", null));
        m.put("GET /v1/secrets/{name}", new Req("GET", "/v1/secrets/S", null));
        m.put("PUT /v1/secrets/{name}", new Req("PUT", "/v1/secrets/S", Map.of("value", "v")));
        m.put("DELETE /v1/secrets/{name}", new Req("DELETE", "/v1/secrets/S", null));
        m.put("GET /v1/audit-events", new Req("GET", "/v1/audit-events", null));
        m.put("GET /v1/audit-events/verify", new Req("GET", "/v1/audit-events/verify", null));
        m.put("GET /v1/audit-events/export", new Req("GET", "/v1/audit-events/export", null));
        Map<String, Object> wf = Map.of("slug", "auth-wf-2", "steps", List.of(Map.of("id", "a", "type", "approval")));
        String wr = "/v1/workflow-runs/" + waitingRun;
        m.put("POST /v1/workflows", new Req("POST", "/v1/workflows", wf));
        m.put("POST /v1/workflows/validate", new Req("POST", "/v1/workflows/validate", wf));
        m.put("GET /v1/workflows", new Req("GET", "/v1/workflows", null));
        m.put("GET /v1/workflows/{wf}", new Req("GET", "/v1/workflows/auth-wf", null));
        m.put("PATCH /v1/workflows/{wf}", new Req("PATCH", "/v1/workflows/auth-wf", Map.of("description", "x")));
        m.put("DELETE /v1/workflows/{wf}", new Req("DELETE", "/v1/workflows/auth-wf", null));
        m.put("GET /v1/workflows/{wf}/versions", new Req("GET", "/v1/workflows/auth-wf/versions", null));
        m.put("POST /v1/workflows/{wf}/trigger", new Req("POST", "/v1/workflows/auth-wf/trigger", Map.of()));
        m.put("GET /v1/workflow-runs", new Req("GET", "/v1/workflow-runs", null));
        m.put("GET /v1/workflow-runs/{id}", new Req("GET", wr, null));
        m.put("POST /v1/workflow-runs/{id}/cancel", new Req("POST", wr + "/cancel", Map.of()));
        m.put("POST /v1/workflow-runs/{id}/steps/{step}/approve", new Req("POST", wr + "/steps/ask/approve", Map.of()));
        m.put("POST /v1/workflow-runs/{id}/steps/{step}/reject", new Req("POST", wr + "/steps/ask/reject", Map.of()));
        m.put("POST /v1/workflow-runs/{id}/steps/{step}/retry", new Req("POST", wr + "/steps/ask/retry", Map.of()));
        m.put("GET /v1/workflow-runs/{id}/explain", new Req("GET", wr + "/explain", null));
        m.put("POST /v1/events/{key}/send", new Req("POST", "/v1/events/auth-key/send", Map.of("payload", 1)));
        m.put("POST /v1/events/prefix/{prefix}/send", new Req("POST", "/v1/events/prefix/auth-/send", Map.of()));
        m.put("POST /v1/approvals", new Req("POST", "/v1/approvals", Map.of("action", "x")));
        m.put("GET /v1/approvals", new Req("GET", "/v1/approvals", null));
        m.put("GET /v1/stream", new Req("GET", "/v1/stream", null)); // read only up to its status (it never ends)
        m.put("GET /v1/approvals/{id}", new Req("GET", "/v1/approvals/" + approvalId, null));
        m.put("POST /v1/approvals/{id}/approve", new Req("POST", "/v1/approvals/" + approvalId + "/approve", Map.of()));
        m.put("POST /v1/approvals/{id}/reject", new Req("POST", "/v1/approvals/" + approvalId + "/reject", Map.of()));
        String src = "/v1/event-sources/auth-src";
        m.put("POST /v1/event-sources", new Req("POST", "/v1/event-sources", Map.of("slug", "made-by-role")));
        m.put("GET /v1/event-sources", new Req("GET", "/v1/event-sources", null));
        m.put("GET /v1/event-sources/{id}", new Req("GET", src, null));
        m.put("DELETE /v1/event-sources/{id}", new Req("DELETE", src, null));
        m.put("POST /v1/event-sources/{id}/subscriptions", new Req("POST", src + "/subscriptions",
                Map.of("job", "auth-job")));
        m.put("GET /v1/event-sources/{id}/subscriptions", new Req("GET", src + "/subscriptions", null));
        m.put("DELETE /v1/event-sources/{id}/subscriptions/{sub_id}", new Req("DELETE",
                src + "/subscriptions/" + subscriptionId, null));
        m.put("GET /v1/event-sources/{id}/events", new Req("GET", src + "/events", null));
        m.put("POST /v1/ingest/{source_id}", new Req("POST", "/v1/ingest/" + sourceId, Map.of()));
        m.put("GET /v1/endpoints", new Req("GET", "/v1/endpoints", null));
        String wh = "/v1/webhooks/" + webhookId;
        m.put("POST /v1/webhooks", new Req("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/hook",
                "enabled", false)));
        m.put("GET /v1/webhooks", new Req("GET", "/v1/webhooks", null));
        m.put("GET /v1/webhooks/{id}", new Req("GET", wh, null));
        m.put("PATCH /v1/webhooks/{id}", new Req("PATCH", wh, Map.of("description", "x")));
        m.put("DELETE /v1/webhooks/{id}", new Req("DELETE", wh, null));
        m.put("POST /v1/webhooks/{id}/rotate-secret", new Req("POST", wh + "/rotate-secret", Map.of()));
        m.put("GET /v1/webhooks/{id}/deliveries", new Req("GET", wh + "/deliveries?status=dead", null));
        m.put("POST /v1/rate-limits", new Req("POST", "/v1/rate-limits", Map.of("key", "auth-key", "limit", 1,
                "period_ms", 1000)));
        m.put("GET /v1/rate-limits", new Req("GET", "/v1/rate-limits", null));
        m.put("POST /v1/runs/cancel", new Req("POST", "/v1/runs/cancel", Map.of("filter",
                Map.of("status", "dead_letter"), "confirm_count", 0)));
        m.put("POST /v1/runs/replay", new Req("POST", "/v1/runs/replay", Map.of("filter",
                Map.of("status", "dead_letter"), "confirm_count", 0)));
        m.put("GET /v1/batches/{id}", new Req("GET", "/v1/batches/" + batchId, null));
        m.put("POST /v1/webhook-deliveries/{id}/replay", new Req("POST", "/v1/webhook-deliveries/" + someone
                + "/replay", Map.of()));
        String ag = "/v1/agents/" + agentId;
        m.put("POST /v1/agents", new Req("POST", "/v1/agents", Map.of("name", "made-by-role")));
        m.put("GET /v1/agents", new Req("GET", "/v1/agents", null));
        m.put("GET /v1/agents/{id}", new Req("GET", ag, null));
        m.put("DELETE /v1/agents/{id}", new Req("DELETE", ag, null));
        m.put("POST /v1/agents/{id}/rotate-token", new Req("POST", ag + "/rotate-token", Map.of()));
        m.put("GET /v1/agents/{id}/schedules", new Req("GET", ag + "/schedules", null));
        m.put("POST /v1/agents/{id}/schedules/{name}/pause", new Req("POST", ag + "/schedules/nightly/pause", Map.of()));
        m.put("POST /v1/agents/{id}/schedules/{name}/resume", new Req("POST", ag + "/schedules/nightly/resume",
                Map.of()));
        m.put("GET /v1/tasks", new Req("GET", "/v1/tasks?engine=quartz", null));
        m.put("GET /v1/tasks/{id}", new Req("GET", "/v1/tasks/" + taskId, null));
        m.put("POST /v1/tasks/{id}/retry", new Req("POST", "/v1/tasks/" + taskId + "/retry", Map.of()));
        m.put("POST /v1/tasks/{id}/cancel", new Req("POST", "/v1/tasks/" + taskId + "/cancel", Map.of()));
        m.put("GET /v1/commands/{id}", new Req("GET", "/v1/commands/" + commandId, null));
        // the agent protocol takes the agent's token, not a role: only listed here
        m.put("POST /v1/agent/hello", new Req("POST", "/v1/agent/hello", Map.of("protocol_version", 1)));
        m.put("POST /v1/agent/heartbeat", new Req("POST", "/v1/agent/heartbeat", Map.of()));
        m.put("POST /v1/agent/events", new Req("POST", "/v1/agent/events", Map.of("events", List.of())));
        m.put("POST /v1/agent/schedules", new Req("POST", "/v1/agent/schedules", Map.of("schedules", List.of())));
        m.put("GET /v1/agent/commands", new Req("GET", "/v1/agent/commands", null));
        m.put("POST /v1/agent/commands/{id}/ack", new Req("POST", "/v1/agent/commands/" + commandId + "/ack", Map.of()));
        m.put("POST /v1/agent/commands/{id}/result", new Req("POST", "/v1/agent/commands/" + commandId + "/result",
                Map.of("ok", true)));
        m.put("POST /v1/runs/{id}/usage", new Req("POST", e + "/usage", Map.of("worker_id", "w",
                "provider", "openai", "model", "gpt-4o", "input_tokens", 10)));
        m.put("GET /v1/runs/{id}/usage", new Req("GET", e + "/usage", null));
        m.put("GET /v1/usage", new Req("GET", "/v1/usage?group_by=model", null));
        m.put("GET /v1/jobs/{job}/metrics", new Req("GET", "/v1/jobs/auth-job/metrics", null));
        m.put("GET /v1/pricing", new Req("GET", "/v1/pricing", null));
        m.put("PUT /v1/pricing", new Req("PUT", "/v1/pricing", Map.of("entries", List.of(Map.of("provider", "openai",
                "model", "auth-model", "input_microusd_per_mtok", 1, "output_microusd_per_mtok", 2,
                "effective_from", "2026-01-01T00:00:00Z")))));
        m.put("GET /v1/budgets", new Req("GET", "/v1/budgets", null));
        m.put("PUT /v1/budgets", new Req("PUT", "/v1/budgets", Map.of("per_run_microusd", 1_000_000_000,
                "action", "notify")));
        String drain = "/v1/log-drains/" + drainId;
        m.put("POST /v1/log-drains", new Req("POST", "/v1/log-drains", Map.of("url", "http://127.0.0.1:9/drain",
                "enabled", false)));
        m.put("GET /v1/log-drains", new Req("GET", "/v1/log-drains", null));
        m.put("GET /v1/log-drains/{id}", new Req("GET", drain, null));
        m.put("PATCH /v1/log-drains/{id}", new Req("PATCH", drain, Map.of("enabled", false)));
        m.put("DELETE /v1/log-drains/{id}", new Req("DELETE", drain, null));
        m.put("GET /v1/log-drains/{id}/batches", new Req("GET", drain + "/batches?status=dead", null));
        String slo = "/v1/slos/" + sloId;
        m.put("POST /v1/jobs/{job}/slos", new Req("POST", "/v1/jobs/auth-job/slos", Map.of("name", "auth-slo-2",
                "metric", "duration_p95_ms", "target", 1000, "window_days", 7)));
        m.put("GET /v1/slos", new Req("GET", "/v1/slos", null));
        m.put("GET /v1/slos/{id}", new Req("GET", slo, null));
        m.put("DELETE /v1/slos/{id}", new Req("DELETE", slo, null));
        m.put("GET /v1/slos/{id}/evaluations", new Req("GET", slo + "/evaluations", null));
        return m;
    }

    private static List<Route> routes() {
        List<Route> routes = server.server().routes();
        Map<String, Req> samples = samples();
        List<String> keys = routes.stream().map(r -> r.method() + " " + r.path()).toList();
        assertThat(samples.keySet()).as("a sample request for every route (add one for a new route)")
                .containsExactlyInAnyOrderElementsOf(keys);
        return routes;
    }

    /** Checks the key's role on every route: refused (403, nothing changed) below the route's role. */
    private static void checkRole(String key, Role role, List<String> failures) {
        Api api = admin.withKey(key);
        Map<String, Req> samples = samples();
        for (Route r : routes()) {
            if (r.role() == null || role.atLeast(r.role())) {
                continue;
            }
            Req q = samples.get(r.method() + " " + r.path());
            Snapshot before = Snapshot.of(server.db());
            var answer = api.send(q.method(), q.path(), q.body());
            String where = role.db() + " " + q.method() + " " + q.path();
            if (answer.status() != 403 || !"forbidden".equals(answer.errorCode())) {
                failures.add(where + ": expected 403 forbidden, got " + answer.status() + " " + answer.text());
            } else {
                BadInputTest.assertErrorShape(answer);
            }
            String diff = before.diff(Snapshot.of(server.db()));
            if (!diff.isEmpty()) {
                failures.add(where + ": refused but stored data changed: " + diff);
            }
        }
    }

    @Test
    void aViewerReadsEverythingAndMayNotWriteAnything() {
        List<String> failures = new ArrayList<>();
        checkRole(VIEWER, Role.VIEWER, failures);
        Api viewer = admin.withKey(VIEWER);
        Map<String, Req> samples = samples();
        int reads = 0;
        for (Route r : routes()) {
            if (r.role() == Role.VIEWER) {
                Req q = samples.get(r.method() + " " + r.path());
                int status = q.path().startsWith("/v1/stream") ? streamStatus(VIEWER, q.path())
                        : viewer.send(q.method(), q.path(), q.body()).status();
                reads++;
                if (status != 200) {
                    failures.add("viewer " + q.method() + " " + q.path() + ": expected 200, got " + status);
                }
            }
        }
        assertThat(reads).isGreaterThanOrEqualTo(6);
        assertThat(failures).as(String.join("\n", failures)).isEmpty();
    }

    /** The status of a streamed answer (server-sent events): the headers, then the stream is closed. */
    private static int streamStatus(String key, String path) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(server.baseUrl() + path)).header("Authorization", "Bearer " + key).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            r.body().close();
            return r.statusCode();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anOperatorRunsWorkButMayNotChangeJobs() {
        List<String> failures = new ArrayList<>();
        checkRole(OPERATOR, Role.OPERATOR, failures);
        assertThat(failures).as(String.join("\n", failures)).isEmpty();
        Api operator = admin.withKey(OPERATOR);
        var triggered = operator.post("/v1/jobs/auth-job/trigger", Map.of("payload", 1));
        assertThat(triggered.status()).isEqualTo(201);
        var claimed = operator.post("/v1/worker/claim", Map.of("worker_id", "op", "queues", List.of("authq"),
                "max", 10));
        assertThat(claimed.status()).isEqualTo(200);
        assertThat(claimed.json().get("data").size()).isPositive();
        assertThat(operator.get("/v1/runs?job=auth-job").status()).isEqualTo(200);
    }

    @Test
    void theRoleCheckComesBeforeValidation() {
        // a viewer learns nothing about what a write would have said: 403 even for a malformed body
        Api viewer = admin.withKey(VIEWER);
        var answer = viewer.send("POST", "/v1/jobs", "{not json");
        assertThat(answer.status()).isEqualTo(403);
        assertThat(viewer.send("DELETE", "/v1/jobs/no-such-job", null).status()).isEqualTo(403);
    }

    @Test
    void revokedAndExpiredKeysAre401() {
        for (String key : List.of(REVOKED, EXPIRED)) {
            var answer = admin.withKey(key).get("/v1/jobs");
            assertThat(answer.status()).as(key).isEqualTo(401);
            assertThat(answer.errorCode()).isEqualTo("unauthorized");
            BadInputTest.assertErrorShape(answer);
            assertThat(admin.withKey(key).post("/v1/jobs", Map.of("slug", "by-revoked")).status()).isEqualTo(401);
        }
        assertThat(admin.get("/v1/jobs/by-revoked").status()).isEqualTo(404);
    }

    @Test
    void aKeyRevokedWhileInUseStopsWorkingWithinSeconds() {
        String key = "drv_test_soon_revoked_key_000001";
        UUID id = insertKey(key, Role.OPERATOR, null, null);
        Api api = admin.withKey(key);
        assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
        server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at = now() WHERE id = ?")) {
                ps.setObject(1, id);
                return ps.executeUpdate();
            }
        });
        Instant revoked = Instant.now();
        Await.until("the revoked key to be refused", Duration.ofSeconds(10), () -> api.get("/v1/jobs").status() == 401);
        assertThat(Duration.between(revoked, Instant.now())).as("key lookups are cached for a few seconds only")
                .isLessThan(Duration.ofSeconds(5));
        // last_used_at was recorded for the use before revocation
        Timestamp lastUsed = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT last_used_at FROM api_keys WHERE id = ?")) {
                ps.setObject(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getTimestamp(1);
                }
            }
        });
        assertThat(lastUsed).isNotNull();
    }
}
