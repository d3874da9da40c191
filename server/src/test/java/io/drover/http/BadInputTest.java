package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A table of bad requests for every route the server registers. Each must be refused with the
 * documented status and the one error shape, never a 5xx, and must leave every stored row as it
 * was (checked with a snapshot of the tables before and after each request). The table is keyed
 * by "METHOD path" and compared with {@code server.routes()}: a new route without cases fails.
 */
@DroverTest
class BadInputTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]*");
    private static final String NO_KEY = "<none>";
    private static final int MIB = 1024 * 1024;

    static TestServer server;
    static Api api;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // the fixture: rows every case may aim at, in states no background service changes
    static String jobId;
    static String queued;
    static String executing;
    static String completed;
    static String delayed;
    static String waitingRun;
    static String doneRun;
    static String pendingApproval;
    static String resolvedApproval;
    static String stepApproval;
    static String openSource;
    static String signedSource;
    static String webhookId;
    static String agentId;
    static String agentToken;
    static String failedTask;
    static String startedTask;
    static String finishedCommand;
    static String drainId;
    static String sloId;

    @BeforeAll
    static void start() {
        // the SLO pass would rewrite the fixture SLO's last evaluation between two snapshots
        server.server().sloEvaluator().stop();
        var job = api.post("/v1/jobs", Map.of("slug", "fx", "queue", "fxq", "max_attempts", 3));
        assertThat(job.status()).isEqualTo(201);
        jobId = job.json().get("id").asText();
        assertThat(api.post("/v1/jobs", Map.of("slug", "fxhttp", "execution", "http",
                "endpoint_url", "http://127.0.0.1:9/never")).status()).isEqualTo(201);
        assertThat(api.post("/v1/jobs", Map.of("slug", "fxsched",
                "schedule", Map.of("at", "2099-01-01T00:00:00Z"))).status()).isEqualTo(201);

        completed = trigger(Map.of());
        claimOne(completed);
        assertThat(api.post("/v1/runs/" + completed + "/complete", Map.of("worker_id", "w1", "result", 1)).status())
                .isEqualTo(200);
        executing = trigger(Map.of());
        claimOne(executing);
        queued = trigger(Map.of("payload", Map.of("n", 1)));
        delayed = trigger(Map.of("delay_ms", 86_400_000));

        // workflows: a run waiting for approval (no expiry, so no timer touches it), a finished run,
        // a pending and a resolved approval request, an event already sent
        assertThat(api.post("/v1/workflows", Map.of("slug", "wfx", "steps", List.of(
                Map.of("id", "ask", "type", "approval"),
                Map.of("id", "after", "job", "fx", "depends_on", List.of("ask"))))).status()).isEqualTo(201);
        assertThat(api.post("/v1/workflows", Map.of("slug", "wfdone", "steps", List.of(
                Map.of("id", "nap", "type", "sleep", "duration_secs", 0)))).status()).isEqualTo(201);
        waitingRun = api.post("/v1/workflows/wfx/trigger", Map.of()).json().get("id").asText();
        doneRun = api.post("/v1/workflows/wfdone/trigger", Map.of()).json().get("id").asText();
        assertThat(api.get("/v1/workflow-runs/" + doneRun).json().get("status").asText()).isEqualTo("completed");
        pendingApproval = api.post("/v1/approvals", Map.of("action", "a")).json().get("id").asText();
        resolvedApproval = api.post("/v1/approvals", Map.of("action", "b")).json().get("id").asText();
        assertThat(api.post("/v1/approvals/" + resolvedApproval + "/approve", Map.of()).status()).isEqualTo(200);
        for (JsonNode a : api.get("/v1/approvals?status=pending").json().get("data")) {
            if (!a.get("workflow_run_id").isNull()) {
                stepApproval = a.get("id").asText();
            }
        }
        assertThat(api.post("/v1/events/fx-sent/send", Map.of("payload", 1)).status()).isEqualTo(200);
        openSource = api.post("/v1/event-sources", Map.of("slug", "fxsrc", "verify", "none")).json().get("id")
                .asText();
        signedSource = api.post("/v1/event-sources", Map.of("slug", "fxsigned")).json().get("id").asText();
        webhookId = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/fx-hook", "enabled", false)).json()
                .get("id").asText();
        // an agent that never says hello (so the liveness pass never changes it), a failed and a started task,
        // an observed schedule and a finished command (so no expiry changes it either)
        var agent = api.post("/v1/agents", Map.of("name", "fxagent")).json();
        agentId = agent.get("id").asText();
        agentToken = agent.get("token").asText();
        Api asAgent = api.withKey(agentToken);
        assertThat(asAgent.post("/v1/agent/events", Map.of("events", List.of(
                Map.of("seq", 1, "type", "task_failed", "task", Map.of("external_id", "fx-1", "engine", "quartz")),
                Map.of("seq", 2, "type", "task_started", "task", Map.of("external_id", "fx-2", "engine", "quartz")))))
                .status()).isEqualTo(200);
        assertThat(asAgent.post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "nightly"))))
                .status()).isEqualTo(200);
        for (JsonNode t : api.get("/v1/tasks?agent=" + agentId).json().get("data")) {
            if (t.get("external_id").asText().equals("fx-1")) {
                failedTask = t.get("id").asText();
            } else {
                startedTask = t.get("id").asText();
            }
        }
        finishedCommand = api.post("/v1/tasks/" + failedTask + "/retry", Map.of()).json().get("id").asText();
        assertThat(asAgent.post("/v1/agent/commands/" + finishedCommand + "/result", Map.of("ok", true)).status())
                .isEqualTo(200);
        drainId = api.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/fx-drain", "enabled", false)).json()
                .get("id").asText();
        sloId = api.post("/v1/jobs/fx/slos", Map.of("name", "fx-slo", "metric", "success_rate", "target", 0.99))
                .json().get("id").asText();
    }

    private static String trigger(Map<String, Object> body) {
        var run = api.post("/v1/jobs/fx/trigger", body);
        assertThat(run.status()).isEqualTo(201);
        return run.json().get("id").asText();
    }

    private static void claimOne(String expected) {
        var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w1", "queues", List.of("fxq"), "max", 1,
                "lease_ms", 3_600_000));
        assertThat(claimed.json().get("data").get(0).get("id").asText()).isEqualTo(expected);
    }

    // ------------------------------------------------------------------------------ the table

    /** One bad request and what it must get: status, error code (null: any) and details.field (null: none). */
    record Case(String label, String method, String path, String auth, String body, int status, String code,
            String field, Consumer<Api.Answer> more) {}

    /** The cases of one route, and a path of it that names existing rows (for the generic body cases). */
    record RouteCases(String samplePath, List<Case> cases) {}

    private final List<Case> building = new ArrayList<>();
    private String method;

    private RouteCases route(String m, String samplePath, Runnable cases) {
        building.clear();
        method = m;
        cases.run();
        return new RouteCases(samplePath, List.copyOf(building));
    }

    private void bad(String label, String path, Object body, int status, String code, String field) {
        building.add(new Case(label, method, path, TestServer.ADMIN_KEY, json(body), status, code, field, null));
    }

    private void raw(String label, String path, String body, int status, String code, String field) {
        building.add(new Case(label, method, path, TestServer.ADMIN_KEY, body, status, code, field, null));
    }

    private void check(String label, String path, Object body, int status, Consumer<Api.Answer> more) {
        building.add(new Case(label, method, path, TestServer.ADMIN_KEY, json(body), status, null, null, more));
    }

    private void open(String label, String path, String auth) {
        building.add(new Case(label, method, path, auth, null, 200, null, null, null));
    }

    private static String json(Object body) {
        if (body == null) {
            return null;
        }
        try {
            return MAPPER.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON object from key, value pairs (values may be null; order kept). */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final String UNKNOWN = UuidV7.next().toString();
    private static final List<String> NOT_IDS = List.of("not-a-uuid", "123",
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "x".repeat(300));

    private Map<String, RouteCases> table() {
        Map<String, RouteCases> t = new LinkedHashMap<>();
        String w1 = "w1";

        // ---- operations: no key needed, and a bad one is ignored
        for (String p : List.of("/healthz", "/readyz", "/metrics", "/openapi.json")) {
            t.put("GET " + p, route("GET", p, () -> {
                open("no key", p, NO_KEY);
                open("a wrong key is ignored", p, "Bearer wrong");
                open("unknown query parameters are ignored", p + "?limit=0&cursor=zz", NO_KEY);
            }));
        }

        // ---- jobs
        t.put("POST /v1/jobs", route("POST", "/v1/jobs", () -> {
            String p = "/v1/jobs";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("slug missing", p, obj("name", "x"), 422, "validation_failed", "slug");
            bad("slug not a string", p, obj("slug", 5), 400, "invalid_type", "slug");
            bad("slug with spaces", p, obj("slug", "Bad Slug"), 422, "validation_failed", "slug");
            bad("slug too long", p, obj("slug", "a".repeat(101)), 422, "validation_failed", "slug");
            bad("slug taken", p, obj("slug", "fx"), 409, "slug_taken", "slug");
            bad("unknown field (typo)", p, obj("slug", "n1", "max_attempt", 3), 422, "unknown_field", "max_attempt");
            bad("name not a string", p, obj("slug", "n1", "name", List.of("x")), 400, "invalid_type", "name");
            bad("execution unknown", p, obj("slug", "n1", "execution", "ftp"), 422, "validation_failed", "execution");
            bad("http without endpoint_url", p, obj("slug", "n1", "execution", "http"), 422, "validation_failed",
                    "endpoint_url");
            bad("endpoint_url not http", p, obj("slug", "n1", "execution", "http", "endpoint_url", "ftp://h/x"), 422,
                    "validation_failed", "endpoint_url");
            bad("endpoint_url not a URL", p, obj("slug", "n1", "execution", "http", "endpoint_url", "http://a b"),
                    422, "validation_failed", "endpoint_url");
            bad("queue with spaces", p, obj("slug", "n1", "queue", "a b"), 422, "validation_failed", "queue");
            bad("queue not a string", p, obj("slug", "n1", "queue", 7), 400, "invalid_type", "queue");
            bad("max_attempts as a string", p, obj("slug", "n1", "max_attempts", "3"), 400, "invalid_type",
                    "max_attempts");
            bad("max_attempts fractional", p, obj("slug", "n1", "max_attempts", 2.5), 400, "invalid_type",
                    "max_attempts");
            bad("max_attempts 0", p, obj("slug", "n1", "max_attempts", 0), 422, "validation_failed", "max_attempts");
            bad("max_attempts huge", p, obj("slug", "n1", "max_attempts", 1e30), 400, "invalid_type", "max_attempts");
            bad("priority out of range", p, obj("slug", "n1", "priority", 5000), 422, "validation_failed", "priority");
            bad("timeout_secs 0", p, obj("slug", "n1", "timeout_secs", 0), 422, "validation_failed", "timeout_secs");
            bad("ttl_secs bool", p, obj("slug", "n1", "ttl_secs", true), 400, "invalid_type", "ttl_secs");
            bad("max_concurrency negative", p, obj("slug", "n1", "max_concurrency", -1), 422, "validation_failed",
                    "max_concurrency");
            bad("retry not an object", p, obj("slug", "n1", "retry", "fast"), 400, "invalid_type", "retry");
            bad("retry strategy unknown", p, obj("slug", "n1", "retry", obj("strategy", "random")), 422,
                    "validation_failed", "retry.strategy");
            bad("retry custom without delays", p, obj("slug", "n1", "retry", obj("strategy", "custom")), 422,
                    "validation_failed", "retry.delays_ms");
            bad("retry delays not integers", p, obj("slug", "n1", "retry", obj("delays_ms", List.of("1s"))), 400,
                    "invalid_type", "retry.delays_ms");
            bad("retry max below initial", p, obj("slug", "n1", "retry", obj("initial_delay_ms", 5000,
                    "max_delay_ms", 10)), 422, "validation_failed", "retry.max_delay_ms");
            bad("retry unknown field", p, obj("slug", "n1", "retry", obj("stratgy", "fixed")), 422, "unknown_field",
                    "retry.stratgy");
            bad("schedule not an object", p, obj("slug", "n1", "schedule", "* * * * *"), 400, "invalid_type",
                    "schedule");
            bad("schedule with two kinds", p, obj("slug", "n1", "schedule", obj("cron", "* * * * *",
                    "interval_secs", 5)), 422, "validation_failed", "schedule.cron");
            bad("schedule bad cron", p, obj("slug", "n1", "schedule", obj("cron", "not a cron")), 422,
                    "validation_failed", "schedule.cron");
            bad("schedule cron with 3 fields", p, obj("slug", "n1", "schedule", obj("cron", "* * *")), 422,
                    "validation_failed", "schedule.cron");
            bad("schedule cron out of range", p, obj("slug", "n1", "schedule", obj("cron", "61 * * * * *")), 422,
                    "validation_failed", "schedule.cron");
            bad("schedule bad timezone", p, obj("slug", "n1", "schedule", obj("cron", "* * * * *",
                    "timezone", "Mars/Olympus")), 422, "validation_failed", "schedule.timezone");
            bad("schedule interval 0", p, obj("slug", "n1", "schedule", obj("interval_secs", 0)), 422,
                    "validation_failed", "schedule.interval_secs");
            bad("schedule bad at", p, obj("slug", "n1", "schedule", obj("at", "tomorrow")), 422,
                    "validation_failed", "schedule.at");
            bad("schedule bad overlap", p, obj("slug", "n1", "schedule", obj("interval_secs", 5,
                    "overlap_policy", "queue")), 422, "validation_failed", "schedule.overlap_policy");
            bad("tags not an array", p, obj("slug", "n1", "tags", "a,b"), 400, "invalid_type", "tags");
            bad("tags with a number", p, obj("slug", "n1", "tags", List.of("a", 1)), 400, "invalid_type", "tags");
            bad("tags with an empty tag", p, obj("slug", "n1", "tags", List.of("")), 422, "validation_failed", "tags");
            bad("default_metadata an array", p, obj("slug", "n1", "default_metadata", List.of()), 400,
                    "invalid_type", "default_metadata");
            bad("dead_letter a string", p, obj("slug", "n1", "dead_letter", "yes"), 400, "invalid_type",
                    "dead_letter");
            bad("NUL in the name", p, obj("slug", "n1", "name", "a\u0000b"), 422, "validation_failed", "name");
            bad("NUL in a metadata key", p, obj("slug", "n1", "default_metadata", obj("k\u0000", 1)), 422,
                    "validation_failed", "default_metadata.k\\u0000");
            raw("duplicate field", p, "{\"slug\":\"n1\",\"slug\":\"n2\"}", 400, "malformed_json", null);
            raw("trailing garbage", p, "{\"slug\":\"n1\"} x", 400, "malformed_json", null);
        }));
        t.put("GET /v1/jobs", route("GET", "/v1/jobs", () -> {
            listParams("/v1/jobs");
            // limits Jetty enforces before any route runs: still the error shape
            bad("URI over 8 KiB", "/v1/jobs?limit=1&x=" + "u".repeat(20_000), null, 414, "uri_too_long", null);
            building.add(new Case("key over the header limit", "GET", "/v1/jobs", "Bearer " + "k".repeat(20_000),
                    null, 431, "headers_too_large", null, null));
        }));
        t.put("GET /v1/jobs/{job}", route("GET", "/v1/jobs/fx", () -> unknownJobs("")));
        t.put("PATCH /v1/jobs/{job}", route("PATCH", "/v1/jobs/fx", () -> {
            unknownJobs("", obj("name", "x"));
            String p = "/v1/jobs/fx";
            bad("slug changed", p, obj("slug", "other"), 422, "validation_failed", "slug");
            bad("worker job made http", p, obj("execution", "http", "endpoint_url", "http://127.0.0.1:9/x"), 422,
                    "validation_failed", "execution");
            bad("http job made worker", "/v1/jobs/fxhttp", obj("execution", "worker"), 422, "validation_failed",
                    "execution");
            bad("max_attempts a string", p, obj("max_attempts", "5"), 400, "invalid_type", "max_attempts");
            bad("max_attempts too big", p, obj("max_attempts", 1001), 422, "validation_failed", "max_attempts");
            bad("bad cron", p, obj("schedule", obj("cron", "*/0 * * * *")), 422, "validation_failed",
                    "schedule.cron");
            bad("bad timezone", "/v1/jobs/fxsched", obj("schedule", obj("at", "2099-01-01T00:00:00Z",
                    "timezone", "Nowhere/Town")), 422, "validation_failed", "schedule.timezone");
            bad("unknown field", p, obj("queues", List.of("a")), 422, "unknown_field", "queues");
            bad("NUL in the description", p, obj("description", "\u0000"), 422, "validation_failed", "description");
        }));
        t.put("DELETE /v1/jobs/{job}", route("DELETE", "/v1/jobs/fx", () -> unknownJobs("")));
        t.put("GET /v1/jobs/{job}/versions", route("GET", "/v1/jobs/fx/versions", () -> {
            unknownJobs("/versions");
            listParams("/v1/jobs/fx/versions");
        }));
        t.put("POST /v1/jobs/{job}/trigger", route("POST", "/v1/jobs/fx/trigger", () -> {
            unknownJobs("/trigger", obj());
            String p = "/v1/jobs/fx/trigger";
            raw("an array", p, "[1]", 400, "invalid_body", null);
            bad("metadata a string", p, obj("metadata", "x"), 400, "invalid_type", "metadata");
            bad("delay_ms a string", p, obj("delay_ms", "10"), 400, "invalid_type", "delay_ms");
            bad("delay_ms negative", p, obj("delay_ms", -1), 422, "validation_failed", "delay_ms");
            bad("scheduled_at not a time", p, obj("scheduled_at", "tomorrow"), 422, "validation_failed",
                    "scheduled_at");
            bad("scheduled_at a number", p, obj("scheduled_at", 1700000000), 400, "invalid_type", "scheduled_at");
            bad("delay_ms and scheduled_at", p, obj("delay_ms", 5, "scheduled_at", "2099-01-01T00:00:00Z"), 422,
                    "validation_failed", "delay_ms");
            bad("parent_run_id not a run id", p, obj("parent_run_id", "nope"), 422, "validation_failed",
                    "parent_run_id");
            bad("parent_run_id a number", p, obj("parent_run_id", 5), 400, "invalid_type", "parent_run_id");
            bad("parent_run_id unknown", p, obj("parent_run_id", "00000000-0000-7000-8000-000000000000"), 404,
                    "not_found", null);
            bad("idempotency_key empty", p, obj("idempotency_key", ""), 422, "validation_failed", "idempotency_key");
            bad("idempotency_key too long", p, obj("idempotency_key", "k".repeat(256)), 422, "validation_failed",
                    "idempotency_key");
            bad("idempotency_key a number", p, obj("idempotency_key", 5), 400, "invalid_type", "idempotency_key");
            bad("priority too high", p, obj("priority", 1001), 422, "validation_failed", "priority");
            bad("concurrency_key an object", p, obj("concurrency_key", obj()), 400, "invalid_type",
                    "concurrency_key");
            bad("unknown field", p, obj("payloads", 1), 422, "unknown_field", "payloads");
            bad("NUL in the payload", p, obj("payload", obj("text", "nul\u0000here")), 422, "validation_failed",
                    "payload.text");
            bad("NUL in the idempotency key", p, obj("idempotency_key", "a\u0000"), 422, "validation_failed",
                    "idempotency_key");
        }));
        t.put("POST /v1/jobs/{job}/trigger/batch", route("POST", "/v1/jobs/fx/trigger/batch", () -> {
            unknownJobs("/trigger/batch", obj("runs", List.of(obj())));
            String p = "/v1/jobs/fx/trigger/batch";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("runs missing", p, obj(), 422, "validation_failed", "runs");
            bad("runs an object", p, obj("runs", obj()), 400, "invalid_type", "runs");
            bad("runs empty", p, obj("runs", List.of()), 422, "validation_failed", "runs");
            bad("runs over 1000", p, obj("runs", Collections.nCopies(1001, obj())), 422, "validation_failed",
                    "runs");
            bad("second run invalid (first is not written)", p, obj("runs", List.of(obj(), obj("priority", 5000))),
                    422, "validation_failed", "runs[1].priority");
            bad("a run of wrong type", p, obj("runs", List.of(obj(), obj("delay_ms", "x"))), 400, "invalid_type",
                    "runs[1].delay_ms");
            bad("a run not an object", p, obj("runs", List.of(obj(), 5)), 400, "invalid_body", "runs[1]");
            bad("unknown top-level field", p, obj("runs", List.of(obj()), "atomic", true), 422, "unknown_field",
                    "atomic");
            bad("answer not runs or ids", p, obj("runs", List.of(obj()), "answer", "full"), 422, "validation_failed",
                    "answer");
            bad("answer a number", p, obj("runs", List.of(obj()), "answer", 1), 400, "invalid_type", "answer");
        }));

        // ---- runs
        t.put("GET /v1/runs", route("GET", "/v1/runs", () -> {
            listParams("/v1/runs");
            bad("status=nope", "/v1/runs?status=nope", null, 400, "invalid_parameter", null);
            bad("status=QUEUED (states are lowercase)", "/v1/runs?status=QUEUED", null, 400, "invalid_parameter",
                    null);
            bad("job=<unknown slug>", "/v1/runs?job=no-such-job", null, 404, "not_found", null);
            bad("parent=nope", "/v1/runs?parent=nope", null, 400, "invalid_parameter", null);
            bad("parent=<unknown run>", "/v1/runs?parent=00000000-0000-7000-8000-000000000000", null, 404,
                    "not_found", null);
            bad("job=<NUL>", "/v1/runs?job=%00", null, 404, "not_found", null);
            bad("job=<300 chars>", "/v1/runs?job=" + "j".repeat(300), null, 404, "not_found", null);
        }));
        t.put("GET /v1/runs/{id}", route("GET", "/v1/runs/" + queued, () -> unknownRuns("", null)));
        t.put("GET /v1/runs/{id}/events", route("GET", "/v1/runs/" + queued + "/events", () -> {
            unknownRuns("/events", null);
            String p = "/v1/runs/" + queued + "/events";
            bad("limit=0", p + "?limit=0", null, 400, "invalid_parameter", null);
            bad("limit=501", p + "?limit=501", null, 400, "invalid_parameter", null);
            bad("limit=x", p + "?limit=x", null, 400, "invalid_parameter", null);
            bad("cursor=garbage", p + "?cursor=garbage", null, 400, "invalid_cursor", null);
            bad("cursor of a job list", p + "?cursor=" + Page.encode(UuidV7.next()), null, 400,
                    "invalid_cursor", null);
        }));
        t.put("POST /v1/runs/{id}/cancel", route("POST", "/v1/runs/" + queued + "/cancel", () -> {
            unknownRuns("/cancel", obj());
            bad("a completed run", "/v1/runs/" + completed + "/cancel", obj(), 409, "illegal_transition", null);
            bad("unknown field", "/v1/runs/" + queued + "/cancel", obj("force", true), 422, "unknown_field", "force");
        }));
        t.put("POST /v1/runs/{id}/replay", route("POST", "/v1/runs/" + completed + "/replay", () -> {
            unknownRuns("/replay", obj());
            bad("a queued run", "/v1/runs/" + queued + "/replay", obj(), 409, "illegal_transition", null);
            bad("an executing run", "/v1/runs/" + executing + "/replay", obj(), 409, "illegal_transition", null);
            bad("unknown field", "/v1/runs/" + completed + "/replay", obj("payload", 1), 422, "unknown_field",
                    "payload");
        }));

        // ---- worker protocol
        t.put("POST /v1/worker/claim", route("POST", "/v1/worker/claim", () -> {
            String p = "/v1/worker/claim";
            bad("worker_id missing", p, obj("queues", List.of("fxq")), 422, "validation_failed", "worker_id");
            bad("worker_id with a space", p, obj("worker_id", "w 1", "queues", List.of("fxq")), 422,
                    "validation_failed", "worker_id");
            bad("worker_id a number", p, obj("worker_id", 1, "queues", List.of("fxq")), 400, "invalid_type",
                    "worker_id");
            bad("queues missing", p, obj("worker_id", w1), 422, "validation_failed", "queues");
            bad("queues empty", p, obj("worker_id", w1, "queues", List.of()), 422, "validation_failed", "queues");
            bad("queues a string", p, obj("worker_id", w1, "queues", "fxq"), 400, "invalid_type", "queues");
            bad("max 0", p, obj("worker_id", w1, "queues", List.of("fxq"), "max", 0), 422, "validation_failed",
                    "max");
            bad("max 501", p, obj("worker_id", w1, "queues", List.of("fxq"), "max", 501), 422, "validation_failed",
                    "max");
            bad("max a string", p, obj("worker_id", w1, "queues", List.of("fxq"), "max", "5"), 400, "invalid_type",
                    "max");
            bad("wait_ms over 30 s", p, obj("worker_id", w1, "queues", List.of("fxq"), "wait_ms", 30_001), 422,
                    "validation_failed", "wait_ms");
            bad("lease_ms too short", p, obj("worker_id", w1, "queues", List.of("fxq"), "lease_ms", 10), 422,
                    "validation_failed", "lease_ms");
            bad("unknown field", p, obj("worker_id", w1, "queues", List.of("fxq"), "queue", "fxq"), 422,
                    "unknown_field", "queue");
            bad("jobs empty", p, obj("worker_id", w1, "queues", List.of("fxq"), "jobs", List.of()), 422,
                    "validation_failed", "jobs");
            bad("jobs a string", p, obj("worker_id", w1, "queues", List.of("fxq"), "jobs", "fx"), 400,
                    "invalid_type", "jobs");
            bad("jobs with a number", p, obj("worker_id", w1, "queues", List.of("fxq"), "jobs", List.of(1)), 400,
                    "invalid_type", "jobs");
        }));
        t.put("POST /v1/worker/runs", route("POST", "/v1/worker/runs", () -> {
            String p = "/v1/worker/runs";
            bad("run_ids missing", p, obj("worker_id", w1), 422, "validation_failed", "run_ids");
            bad("run_ids a string", p, obj("worker_id", w1, "run_ids", executing), 400, "invalid_type", "run_ids");
            bad("run_ids not uuids", p, obj("worker_id", w1, "run_ids", List.of("nope")), 422, "validation_failed",
                    "run_ids");
            bad("worker_id missing", p, obj("run_ids", List.of(executing)), 422, "validation_failed", "worker_id");
            bad("unknown field", p, obj("worker_id", w1, "run_ids", List.of(executing), "lease_ms", 1000), 422,
                    "unknown_field", "lease_ms");
            check("another worker holds none of them", p, obj("worker_id", "w2", "run_ids",
                    List.of(executing, UNKNOWN)), 200, a -> {
                        assertThat(a.json().get("data")).hasSize(2);
                        a.json().get("data").forEach(row -> assertThat(row.get("held").asBoolean()).isFalse());
                    });
        }));
        t.put("POST /v1/worker/heartbeat", route("POST", "/v1/worker/heartbeat", () -> {
            String p = "/v1/worker/heartbeat";
            bad("run_ids missing", p, obj("worker_id", w1), 422, "validation_failed", "run_ids");
            bad("run_ids a string", p, obj("worker_id", w1, "run_ids", executing), 400, "invalid_type", "run_ids");
            bad("run_ids not uuids", p, obj("worker_id", w1, "run_ids", List.of("nope")), 422, "validation_failed",
                    "run_ids");
            bad("lease_ms a string", p, obj("worker_id", w1, "run_ids", List.of(executing), "lease_ms", "5"), 400,
                    "invalid_type", "lease_ms");
            bad("worker_id missing", p, obj("run_ids", List.of(executing)), 422, "validation_failed", "worker_id");
            check("a run of another worker is not extended", p, obj("worker_id", "w2", "run_ids",
                    List.of(executing, UNKNOWN)), 200, a -> {
                        assertThat(a.json().get("data")).hasSize(2);
                        a.json().get("data").forEach(row -> assertThat(row.get("ok").asBoolean()).isFalse());
                    });
        }));
        t.put("POST /v1/worker/complete", route("POST", "/v1/worker/complete", () -> {
            String p = "/v1/worker/complete";
            bad("results missing", p, obj("worker_id", w1), 422, "validation_failed", "results");
            bad("results an object", p, obj("worker_id", w1, "results", obj()), 400, "invalid_type", "results");
            bad("a result without run_id", p, obj("worker_id", w1, "results", List.of(obj("result", 1))), 422,
                    "validation_failed", "results[0].run_id");
            bad("a run_id not a uuid", p, obj("worker_id", w1, "results", List.of(obj("run_id", "x"))), 422,
                    "validation_failed", "results[0].run_id");
            bad("a run twice", p, obj("worker_id", w1, "results", List.of(obj("run_id", executing),
                    obj("run_id", executing))), 422, "validation_failed", "results[1].run_id");
            bad("an error that is a string", p, obj("worker_id", w1, "results", List.of(obj("run_id", executing,
                    "error", "boom"))), 400, "invalid_type", "results[0].error");
            bad("retryable a string", p, obj("worker_id", w1, "results", List.of(obj("run_id", executing,
                    "error", obj("message", "x"), "retryable", "no"))), 400, "invalid_type", "results[0].retryable");
            bad("unknown item field", p, obj("worker_id", w1, "results", List.of(obj("run_id", executing,
                    "output", 1))), 422, "unknown_field", "results[0].output");
            bad("NUL in a result", p, obj("worker_id", w1, "results", List.of(obj("run_id", executing,
                    "result", "\u0000"))), 422, "validation_failed", "results[0].result");
            check("unknown and not-held runs are refused per item", p, obj("worker_id", "w2", "results",
                    List.of(obj("run_id", UNKNOWN, "result", 1), obj("run_id", executing, "result", 1))), 200, a -> {
                        JsonNode data = a.json().get("data");
                        assertThat(data.get(0).get("ok").asBoolean()).isFalse();
                        assertThat(data.get(0).path("error").path("code").asText()).isEqualTo("not_found");
                        assertThat(data.get(1).get("ok").asBoolean()).isFalse();
                        assertThat(data.get(1).path("error").path("code").asText()).isEqualTo("not_held");
                    });
        }));
        String ex = "/v1/runs/" + executing;
        t.put("POST /v1/runs/{id}/heartbeat", route("POST", ex + "/heartbeat", () -> {
            unknownRuns("/heartbeat", obj("worker_id", w1));
            bad("another worker", ex + "/heartbeat", obj("worker_id", "w2"), 409, "not_held", null);
            bad("a queued run", "/v1/runs/" + queued + "/heartbeat", obj("worker_id", w1), 409, "not_held", null);
            bad("lease_ms too long", ex + "/heartbeat", obj("worker_id", w1, "lease_ms", 3_600_001), 422,
                    "validation_failed", "lease_ms");
            bad("worker_id missing", ex + "/heartbeat", obj(), 422, "validation_failed", "worker_id");
        }));
        t.put("POST /v1/runs/{id}/complete", route("POST", ex + "/complete", () -> {
            unknownRuns("/complete", obj("worker_id", w1));
            bad("another worker", ex + "/complete", obj("worker_id", "w2"), 409, "not_held", null);
            bad("a completed run", "/v1/runs/" + completed + "/complete", obj("worker_id", w1), 409, "not_held",
                    null);
            bad("a queued run", "/v1/runs/" + queued + "/complete", obj("worker_id", w1), 409, "not_held", null);
            bad("unknown field", ex + "/complete", obj("worker_id", w1, "results", 1), 422, "unknown_field",
                    "results");
            bad("NUL in the result", ex + "/complete", obj("worker_id", w1, "result", obj("\u0000", 1)), 422,
                    "validation_failed", "result.\\u0000");
        }));
        t.put("POST /v1/runs/{id}/fail", route("POST", ex + "/fail", () -> {
            unknownRuns("/fail", obj("worker_id", w1));
            bad("another worker", ex + "/fail", obj("worker_id", "w2"), 409, "not_held", null);
            bad("error a string", ex + "/fail", obj("worker_id", w1, "error", "boom"), 400, "invalid_type", "error");
            bad("error.message a number", ex + "/fail", obj("worker_id", w1, "error", obj("message", 5)), 400,
                    "invalid_type", "error.message");
            bad("error unknown field", ex + "/fail", obj("worker_id", w1, "error", obj("msg", "x")), 422,
                    "unknown_field", "error.msg");
            bad("retryable a string", ex + "/fail", obj("worker_id", w1, "retryable", "yes"), 400, "invalid_type",
                    "retryable");
            bad("NUL in the message", ex + "/fail", obj("worker_id", w1, "error", obj("message", "\u0000")), 422,
                    "validation_failed", "error.message");
        }));
        t.put("POST /v1/runs/{id}/release", route("POST", ex + "/release", () -> {
            unknownRuns("/release", obj("worker_id", w1));
            bad("another worker", ex + "/release", obj("worker_id", "w2"), 409, "not_held", null);
            bad("a queued run", "/v1/runs/" + queued + "/release", obj("worker_id", w1), 409, "not_held", null);
            bad("unknown field", ex + "/release", obj("worker_id", w1, "requeue", true), 422, "unknown_field",
                    "requeue");
        }));
        t.put("POST /v1/runs/{id}/wait", route("POST", ex + "/wait", () -> {
            unknownRuns("/wait", obj("worker_id", w1));
            bad("another worker", ex + "/wait", obj("worker_id", "w2"), 409, "not_held", null);
            bad("timeout_secs 0", ex + "/wait", obj("worker_id", w1, "timeout_secs", 0), 422, "validation_failed",
                    "timeout_secs");
            bad("reason a number", ex + "/wait", obj("worker_id", w1, "reason", 5), 400, "invalid_type", "reason");
            bad("children a string", ex + "/wait", obj("worker_id", w1, "children", "yes"), 400, "invalid_type",
                    "children");
            bad("children with timeout_secs", ex + "/wait", obj("worker_id", w1, "children", true, "timeout_secs", 5),
                    422, "validation_failed", "timeout_secs");
        }));
        t.put("POST /v1/runs/{id}/continue", route("POST", ex + "/continue", () -> {
            unknownRuns("/continue", obj("worker_id", w1));
            bad("another worker", ex + "/continue", obj("worker_id", "w2"), 409, "not_held", null);
            bad("a queued run", "/v1/runs/" + queued + "/continue", obj("worker_id", w1), 409, "not_held", null);
            bad("worker_id missing", ex + "/continue", obj(), 422, "validation_failed", "worker_id");
            bad("delay_ms negative", ex + "/continue", obj("worker_id", w1, "delay_ms", -1), 422, "validation_failed",
                    "delay_ms");
            bad("delay_ms a string", ex + "/continue", obj("worker_id", w1, "delay_ms", "5"), 400, "invalid_type",
                    "delay_ms");
            bad("unknown field", ex + "/continue", obj("worker_id", w1, "depth", 1), 422, "unknown_field", "depth");
        }));
        t.put("POST /v1/runs/{id}/resume", route("POST", ex + "/resume", () -> {
            unknownRuns("/resume", obj("worker_id", w1));
            bad("an executing run (not waiting)", ex + "/resume", obj("worker_id", w1), 409, "not_held", null);
            bad("lease_ms a string", ex + "/resume", obj("worker_id", w1, "lease_ms", "1"), 400, "invalid_type",
                    "lease_ms");
        }));
        t.put("POST /v1/runs/{id}/checkpoints", route("POST", ex + "/checkpoints", () -> {
            unknownRuns("/checkpoints", obj("worker_id", w1, "state", 1));
            bad("another worker", ex + "/checkpoints", obj("worker_id", "w2", "state", 1), 409, "not_held", null);
            bad("a queued run", "/v1/runs/" + queued + "/checkpoints", obj("worker_id", w1, "state", 1), 409,
                    "not_held", null);
            bad("state missing", ex + "/checkpoints", obj("worker_id", w1), 422, "validation_failed", "state");
            bad("worker_id missing", ex + "/checkpoints", obj("state", 1), 422, "validation_failed", "worker_id");
            bad("unknown field", ex + "/checkpoints", obj("worker_id", w1, "state", 1, "seq", 2), 422,
                    "unknown_field", "seq");
            bad("state too large", ex + "/checkpoints", obj("worker_id", w1, "state", "x".repeat(300_000)), 413,
                    "value_too_large", "state");
        }));
        t.put("POST /v1/runs/{id}/tool-calls", route("POST", ex + "/tool-calls", () -> {
            unknownRuns("/tool-calls", obj("worker_id", w1, "name", "t"));
            bad("another worker", ex + "/tool-calls", obj("worker_id", "w2", "name", "t"), 409, "not_held", null);
            bad("name missing", ex + "/tool-calls", obj("worker_id", w1), 422, "validation_failed", "name");
            bad("name blank", ex + "/tool-calls", obj("worker_id", w1, "name", " "), 422, "validation_failed",
                    "name");
            bad("duration_ms negative", ex + "/tool-calls", obj("worker_id", w1, "name", "t", "duration_ms", -1), 422,
                    "validation_failed", "duration_ms");
            bad("duration_ms a string", ex + "/tool-calls", obj("worker_id", w1, "name", "t", "duration_ms", "1"),
                    400, "invalid_type", "duration_ms");
            bad("output too large", ex + "/tool-calls", obj("worker_id", w1, "name", "t", "output",
                    "x".repeat(300_000)), 413, "value_too_large", "output");
        }));
        t.put("GET /v1/runs/{id}/tool-calls", route("GET", ex + "/tool-calls", () -> {
            unknownRuns("/tool-calls", null);
            bad("limit=0", ex + "/tool-calls?limit=0", null, 400, "invalid_parameter", null);
            bad("cursor=garbage", ex + "/tool-calls?cursor=garbage", null, 400, "invalid_cursor", null);
        }));
        identity(t);
        workflowCases(t);
        ingestCases(t);
        webhookCases(t);
        agentCases(t);
        rateLimitAndBatchCases(t);
        usageCases(t);
        drainCases(t);
        sloCases(t);
        return t;
    }

    /** A bad request sent with the fixture agent's token (the agent protocol takes no API key). */
    private void agentBad(String label, String path, Object body, int status, String code, String field) {
        building.add(new Case(label, method, path, agentToken, json(body), status, code, field, null));
    }

    private void agentRaw(String label, String path, String body, int status, String code) {
        building.add(new Case(label, method, path, agentToken, body, status, code, null, null));
    }

    /** Agents, their schedules and commands, external tasks, and the agent protocol. */
    private void agentCases(Map<String, RouteCases> t) {
        String ag = "/v1/agents/" + agentId;
        t.put("POST /v1/agents", route("POST", "/v1/agents", () -> {
            String p = "/v1/agents";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("name missing", p, obj("labels", obj()), 422, "validation_failed", "name");
            bad("name a number", p, obj("name", 5), 400, "invalid_type", "name");
            bad("name blank", p, obj("name", "  "), 422, "validation_failed", "name");
            bad("name too long", p, obj("name", "a".repeat(201)), 422, "validation_failed", "name");
            bad("name with NUL", p, obj("name", "a\u0000b"), 422, "validation_failed", "name");
            bad("labels a string", p, obj("name", "a1", "labels", "x"), 400, "invalid_type", "labels");
            bad("name taken", p, obj("name", "fxagent"), 409, "name_taken", "name");
            bad("unknown field", p, obj("name", "a1", "token", "dra_mine"), 422, "unknown_field", "token");
        }));
        t.put("GET /v1/agents", route("GET", "/v1/agents", () -> {
            listParams("/v1/agents");
            bad("state=lost", "/v1/agents?state=lost", null, 400, "invalid_parameter", null);
        }));
        t.put("GET /v1/agents/{id}", route("GET", ag, () -> unknownAgents("", null)));
        t.put("DELETE /v1/agents/{id}", route("DELETE", ag, () -> unknownAgents("", null)));
        t.put("POST /v1/agents/{id}/rotate-token", route("POST", ag + "/rotate-token", () -> {
            unknownAgents("/rotate-token", obj());
            bad("unknown field", ag + "/rotate-token", obj("token", "dra_mine"), 422, "unknown_field", "token");
        }));
        t.put("GET /v1/agents/{id}/schedules", route("GET", ag + "/schedules", () -> unknownAgents("/schedules",
                null)));
        for (String action : List.of("pause", "resume")) {
            String p = ag + "/schedules/nightly/" + action;
            t.put("POST /v1/agents/{id}/schedules/{name}/" + action, route("POST", p, () -> {
                unknownAgents("/schedules/nightly/" + action, obj());
                bad("unknown schedule", ag + "/schedules/weekly/" + action, obj(), 404, "not_found", null);
                bad("unknown field", p, obj("until", "2099-01-01T00:00:00Z"), 422, "unknown_field", "until");
            }));
        }
        t.put("GET /v1/tasks", route("GET", "/v1/tasks", () -> {
            listParams("/v1/tasks");
            bad("state=done", "/v1/tasks?state=done", null, 400, "invalid_parameter", null);
            bad("engine too long", "/v1/tasks?engine=" + "e".repeat(300), null, 400, "invalid_parameter", null);
        }));
        t.put("GET /v1/tasks/{id}", route("GET", "/v1/tasks/" + failedTask, () -> unknownTasks("", null)));
        t.put("POST /v1/tasks/{id}/retry", route("POST", "/v1/tasks/" + failedTask + "/retry", () -> {
            unknownTasks("/retry", obj());
            bad("a started task", "/v1/tasks/" + startedTask + "/retry", obj(), 409, "illegal_state", null);
            bad("unknown field", "/v1/tasks/" + failedTask + "/retry", obj("force", true), 422, "unknown_field",
                    "force");
        }));
        t.put("POST /v1/tasks/{id}/cancel", route("POST", "/v1/tasks/" + startedTask + "/cancel", () -> {
            unknownTasks("/cancel", obj());
            bad("a finished task", "/v1/tasks/" + failedTask + "/cancel", obj(), 409, "illegal_state", null);
            bad("unknown field", "/v1/tasks/" + startedTask + "/cancel", obj("force", true), 422, "unknown_field",
                    "force");
        }));
        t.put("GET /v1/commands/{id}", route("GET", "/v1/commands/" + finishedCommand, () -> {
            bad("unknown command", "/v1/commands/" + UNKNOWN, null, 404, "not_found", null);
            bad("not a command id", "/v1/commands/nope", null, 404, "not_found", null);
        }));

        Map<String, Object> event = obj("seq", 10, "type", "task_started", "task", obj("external_id", "fx-3",
                "engine", "quartz"));
        t.put("POST /v1/agent/hello", route("POST", "/v1/agent/hello", () -> {
            String p = "/v1/agent/hello";
            agentTokenCases(p);
            agentBad("protocol_version missing", p, obj("framework", "quartz"), 422, "validation_failed",
                    "protocol_version");
            agentBad("protocol_version a string", p, obj("protocol_version", "1"), 400, "invalid_type",
                    "protocol_version");
            agentBad("protocol_version 0", p, obj("protocol_version", 0), 422, "validation_failed", "protocol_version");
            agentBad("engines a string", p, obj("protocol_version", 1, "engines", "quartz"), 400, "invalid_type",
                    "engines");
            agentBad("metadata an array", p, obj("protocol_version", 1, "metadata", List.of()), 400, "invalid_type",
                    "metadata");
            agentBad("unknown field", p, obj("protocol_version", 1, "name", "x"), 422, "unknown_field", "name");
        }));
        t.put("POST /v1/agent/heartbeat", route("POST", "/v1/agent/heartbeat", () -> {
            String p = "/v1/agent/heartbeat";
            agentTokenCases(p);
            agentBad("error_rate over 1", p, obj("error_rate", 1.5), 422, "validation_failed", "error_rate");
            agentBad("error_rate negative", p, obj("error_rate", -0.1), 422, "validation_failed", "error_rate");
            agentBad("error_rate a string", p, obj("error_rate", "high"), 400, "invalid_type", "error_rate");
            agentBad("active_tasks negative", p, obj("active_tasks", -1), 422, "validation_failed", "active_tasks");
            agentBad("sample_error with NUL", p, obj("sample_error", "a\u0000"), 422, "validation_failed",
                    "sample_error");
            agentBad("unknown field", p, obj("cpu", 1), 422, "unknown_field", "cpu");
        }));
        t.put("POST /v1/agent/events", route("POST", "/v1/agent/events", () -> {
            String p = "/v1/agent/events";
            agentTokenCases(p);
            agentRaw("empty body", p, "", 400, "invalid_body");
            agentBad("events missing", p, obj(), 422, "validation_failed", "events");
            agentBad("events an object", p, obj("events", obj()), 400, "invalid_type", "events");
            agentBad("over 1000 events", p, obj("events", Collections.nCopies(1001, event)), 422, "validation_failed",
                    "events");
            agentBad("an event not an object", p, obj("events", List.of(5)), 400, "invalid_type", "events[0]");
            agentBad("unknown type", p, obj("events", List.of(obj("seq", 10, "type", "task_lost", "task",
                    obj("external_id", "x", "engine", "q")))), 422, "unknown_event_type", "events[0].type");
            agentBad("seq missing", p, obj("events", List.of(obj("type", "task_sent", "task",
                    obj("external_id", "x", "engine", "q")))), 422, "validation_failed", "events[0].seq");
            agentBad("seq negative", p, obj("events", List.of(obj("seq", -1, "type", "task_sent", "task",
                    obj("external_id", "x", "engine", "q")))), 422, "validation_failed", "events[0].seq");
            agentBad("task missing", p, obj("events", List.of(obj("seq", 10, "type", "task_sent"))), 422,
                    "validation_failed", "events[0].task");
            agentBad("engine missing", p, obj("events", List.of(obj("seq", 10, "type", "task_sent", "task",
                    obj("external_id", "x")))), 422, "validation_failed", "events[0].task.engine");
            agentBad("ts not a time", p, obj("events", List.of(obj("seq", 10, "type", "task_sent", "ts", "now",
                    "task", obj("external_id", "x", "engine", "q")))), 422, "validation_failed", "events[0].ts");
            agentBad("error a string", p, obj("events", List.of(obj("seq", 10, "type", "task_failed", "error", "boom",
                    "task", obj("external_id", "x", "engine", "q")))), 400, "invalid_type", "events[0].error");
            agentBad("traceback over 64 KiB", p, obj("events", List.of(obj("seq", 10, "type", "task_failed",
                    "error", obj("traceback", "t".repeat(70_000)), "task", obj("external_id", "x", "engine", "q")))),
                    422, "validation_failed", "events[0].error.traceback");
            agentBad("unknown field in task", p, obj("events", List.of(obj("seq", 10, "type", "task_sent",
                    "task", obj("external_id", "x", "engine", "q", "priority", 1)))), 422, "unknown_field",
                    "events[0].task.priority");
        }));
        t.put("POST /v1/agent/schedules", route("POST", "/v1/agent/schedules", () -> {
            String p = "/v1/agent/schedules";
            agentTokenCases(p);
            agentBad("schedules missing", p, obj(), 422, "validation_failed", "schedules");
            agentBad("a name twice", p, obj("schedules", List.of(obj("name", "a"), obj("name", "a"))), 422,
                    "validation_failed", "schedules[1].name");
            agentBad("type weekly", p, obj("schedules", List.of(obj("name", "a", "type", "weekly"))), 422,
                    "validation_failed", "schedules[0].type");
            agentBad("next_run_at not a time", p, obj("schedules", List.of(obj("name", "a", "next_run_at", "soon"))),
                    422, "validation_failed", "schedules[0].next_run_at");
            agentBad("enabled a string", p, obj("schedules", List.of(obj("name", "a", "enabled", "yes"))), 400,
                    "invalid_type", "schedules[0].enabled");
        }));
        t.put("GET /v1/agent/commands", route("GET", "/v1/agent/commands", () -> {
            String p = "/v1/agent/commands";
            agentTokenCases(p);
            agentBad("wait_ms negative", p + "?wait_ms=-1", null, 400, "invalid_parameter", null);
            agentBad("wait_ms over 30 s", p + "?wait_ms=30001", null, 400, "invalid_parameter", null);
            agentBad("wait_ms not a number", p + "?wait_ms=soon", null, 400, "invalid_parameter", null);
        }));
        String cmd = "/v1/agent/commands/" + finishedCommand;
        t.put("POST /v1/agent/commands/{id}/ack", route("POST", cmd + "/ack", () -> {
            agentTokenCases(cmd + "/ack");
            agentBad("unknown command", "/v1/agent/commands/" + UNKNOWN + "/ack", obj(), 404, "not_found", null);
            agentBad("not a command id", "/v1/agent/commands/nope/ack", obj(), 404, "not_found", null);
            agentBad("a finished command", cmd + "/ack", obj(), 409, "command_finished", null);
            agentBad("unknown field", cmd + "/ack", obj("at", 1), 422, "unknown_field", "at");
        }));
        t.put("POST /v1/agent/commands/{id}/result", route("POST", cmd + "/result", () -> {
            agentTokenCases(cmd + "/result");
            agentBad("unknown command", "/v1/agent/commands/" + UNKNOWN + "/result", obj("ok", true), 404, "not_found",
                    null);
            agentBad("ok missing", cmd + "/result", obj("message", "x"), 422, "validation_failed", "ok");
            agentBad("ok a string", cmd + "/result", obj("ok", "yes"), 400, "invalid_type", "ok");
            agentBad("another result for a finished command", cmd + "/result", obj("ok", false), 409,
                    "command_finished", null);
        }));
    }

    /** No token, an API key, a made-up agent token: 401 before anything else. */
    private void agentTokenCases(String path) {
        Object body = method.equals("GET") ? null : obj();
        building.add(new Case("no token", method, path, NO_KEY, json(body), 401, "unauthorized", null, null));
        building.add(new Case("an API key", method, path, TestServer.ADMIN_KEY, json(body), 401, "unauthorized", null,
                null));
        building.add(new Case("an unknown agent token", method, path, "dra_" + "x".repeat(43), json(body), 401,
                "unauthorized", null, null));
    }

    private void unknownAgents(String suffix, Object body) {
        bad("unknown agent id (UUIDv7)", "/v1/agents/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("agent id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'",
                    "/v1/agents/" + id + suffix, body, 404, "not_found", null);
        }
    }

    private void unknownTasks(String suffix, Object body) {
        bad("unknown task id (UUIDv7)", "/v1/tasks/" + UNKNOWN + suffix, body, 404, "not_found", null);
        bad("task id 'nope'", "/v1/tasks/nope" + suffix, body, 404, "not_found", null);
    }


    /** Usage records, prices, budgets and the usage reports. */
    private void usageCases(Map<String, RouteCases> t) {
        String ex = "/v1/runs/" + executing;
        Map<String, Object> ok = obj("worker_id", "w1", "provider", "openai", "model", "gpt-4o", "input_tokens", 1);
        t.put("POST /v1/runs/{id}/usage", route("POST", ex + "/usage", () -> {
            String p = ex + "/usage";
            unknownRuns("/usage", ok);
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("provider missing", p, obj("worker_id", "w1", "model", "m"), 422, "validation_failed", "provider");
            bad("model blank", p, obj("worker_id", "w1", "provider", "openai", "model", " "), 422,
                    "validation_failed", "model");
            bad("model with spaces", p, obj("worker_id", "w1", "provider", "openai", "model", "a b"), 422,
                    "validation_failed", "model");
            bad("input_tokens negative", p, obj("worker_id", "w1", "provider", "openai", "model", "m",
                    "input_tokens", -1), 422, "validation_failed", "input_tokens");
            bad("output_tokens a string", p, obj("worker_id", "w1", "provider", "openai", "model", "m",
                    "output_tokens", "9"), 400, "invalid_type", "output_tokens");
            bad("cost_microusd negative", p, obj("worker_id", "w1", "provider", "openai", "model", "m",
                    "cost_microusd", -5), 422, "validation_failed", "cost_microusd");
            bad("worker_id with spaces", p, obj("worker_id", "w 1", "provider", "openai", "model", "m"), 422,
                    "validation_failed", "worker_id");
            bad("another worker", p, obj("worker_id", "w2", "provider", "openai", "model", "m"), 409, "not_held", null);
            bad("unknown field", p, obj("worker_id", "w1", "provider", "openai", "model", "m", "tokens", 3), 422,
                    "unknown_field", "tokens");
        }));
        t.put("GET /v1/runs/{id}/usage", route("GET", ex + "/usage", () -> {
            unknownRuns("/usage", null);
            bad("limit=0", ex + "/usage?limit=0", null, 400, "invalid_parameter", null);
            bad("limit=x", ex + "/usage?limit=x", null, 400, "invalid_parameter", null);
        }));
        t.put("GET /v1/pricing", route("GET", "/v1/pricing", () ->
                open("query parameters are ignored", "/v1/pricing?limit=0", TestServer.ADMIN_KEY)));
        Map<String, Object> price = obj("provider", "openai", "model", "bad-input-model", "input_microusd_per_mtok", 1,
                "output_microusd_per_mtok", 2, "effective_from", "2026-01-01T00:00:00Z");
        t.put("PUT /v1/pricing", route("PUT", "/v1/pricing", () -> {
            String p = "/v1/pricing";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("entries missing", p, obj(), 422, "validation_failed", "entries");
            bad("entries an object", p, obj("entries", price), 400, "invalid_type", "entries");
            bad("over 500 entries", p, obj("entries", Collections.nCopies(501, price)), 422, "validation_failed",
                    "entries");
            Map<String, Object> noIn = new LinkedHashMap<>(price);
            noIn.remove("input_microusd_per_mtok");
            bad("input price missing", p, obj("entries", List.of(noIn)), 422, "validation_failed",
                    "entries[0].input_microusd_per_mtok");
            Map<String, Object> noFrom = new LinkedHashMap<>(price);
            noFrom.remove("effective_from");
            bad("effective_from missing", p, obj("entries", List.of(noFrom)), 422, "validation_failed",
                    "entries[0].effective_from");
            Map<String, Object> extra = new LinkedHashMap<>(price);
            extra.put("currency", "EUR");
            bad("unknown field in an entry", p, obj("entries", List.of(extra)), 422, "unknown_field",
                    "entries[0].currency");
        }));
        t.put("GET /v1/budgets", route("GET", "/v1/budgets", () ->
                open("query parameters are ignored", "/v1/budgets?limit=0", TestServer.ADMIN_KEY)));
        t.put("PUT /v1/budgets", route("PUT", "/v1/budgets", () -> {
            String p = "/v1/budgets";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("a limit without action", p, obj("daily_microusd", 5), 422, "validation_failed", "action");
            bad("action unknown", p, obj("daily_microusd", 5, "action", "shout"), 422, "validation_failed", "action");
            bad("daily_microusd negative", p, obj("daily_microusd", -1, "action", "notify"), 422, "validation_failed",
                    "daily_microusd");
            bad("per_run_microusd a string", p, obj("per_run_microusd", "1", "action", "notify"), 400, "invalid_type",
                    "per_run_microusd");
            bad("unknown field", p, obj("weekly_microusd", 1, "action", "notify"), 422, "unknown_field",
                    "weekly_microusd");
        }));
        t.put("GET /v1/usage", route("GET", "/v1/usage", () -> {
            String p = "/v1/usage";
            bad("group_by unknown", p + "?group_by=week", null, 400, "invalid_parameter", null);
            bad("since not a time", p + "?since=yesterday", null, 400, "invalid_parameter", null);
            bad("since after until", p + "?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", null, 400,
                    "invalid_parameter", null);
            bad("a range over 400 days", p + "?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", null, 400,
                    "invalid_parameter", null);
        }));
        t.put("GET /v1/jobs/{job}/metrics", route("GET", "/v1/jobs/fx/metrics", () -> {
            bad("unknown job", "/v1/jobs/nope/metrics", null, 404, "not_found", null);
            bad("bucket unknown", "/v1/jobs/fx/metrics?bucket=minute", null, 400, "invalid_parameter", null);
            bad("until not a time", "/v1/jobs/fx/metrics?until=later", null, 400, "invalid_parameter", null);
        }));
    }

    /** Named rate limits and batch cancel/replay. */
    private void rateLimitAndBatchCases(Map<String, RouteCases> t) {
        t.put("POST /v1/rate-limits", route("POST", "/v1/rate-limits", () -> {
            String p = "/v1/rate-limits";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("key missing", p, obj("limit", 1, "period_ms", 1000), 422, "validation_failed", "key");
            bad("key not a key", p, obj("key", "a b", "limit", 1, "period_ms", 1000), 422, "validation_failed", "key");
            bad("limit missing", p, obj("key", "k", "period_ms", 1000), 422, "validation_failed", "limit");
            bad("limit 0", p, obj("key", "k", "limit", 0, "period_ms", 1000), 422, "validation_failed", "limit");
            bad("limit a string", p, obj("key", "k", "limit", "1", "period_ms", 1000), 400, "invalid_type", "limit");
            bad("period_ms missing", p, obj("key", "k", "limit", 1), 422, "validation_failed", "period_ms");
            bad("period_ms over a day", p, obj("key", "k", "limit", 1, "period_ms", 86_400_001L), 422,
                    "validation_failed", "period_ms");
            bad("unknown field", p, obj("key", "k", "limit", 1, "period_ms", 1000, "burst", 2), 422, "unknown_field",
                    "burst");
        }));
        t.put("GET /v1/rate-limits", route("GET", "/v1/rate-limits", () ->
                open("query parameters are ignored", "/v1/rate-limits?limit=0", TestServer.ADMIN_KEY)));
        for (String kind : List.of("cancel", "replay")) {
            String p = "/v1/runs/" + kind;
            t.put("POST " + p, route("POST", p, () -> {
                raw("empty body", p, "", 400, "invalid_body", null);
                bad("filter missing", p, obj("confirm_count", 0), 422, "validation_failed", "filter");
                bad("filter a string", p, obj("filter", "all", "confirm_count", 0), 400, "invalid_type", "filter");
                bad("confirm_count missing", p, obj("filter", obj()), 422, "validation_failed", "confirm_count");
                bad("confirm_count negative", p, obj("filter", obj(), "confirm_count", -1), 422, "validation_failed",
                        "confirm_count");
                bad("confirm_count a string", p, obj("filter", obj(), "confirm_count", "1"), 400, "invalid_type",
                        "confirm_count");
                bad("unknown status", p, obj("filter", obj("status", "asleep"), "confirm_count", 0), 422,
                        "validation_failed", "filter.status");
                bad("unknown job", p, obj("filter", obj("job", "nope"), "confirm_count", 0), 422,
                        "validation_failed", "filter.job");
                bad("created_after not a time", p, obj("filter", obj("created_after", "x"), "confirm_count", 0), 422,
                        "validation_failed", "filter.created_after");
                bad("unknown filter field", p, obj("filter", obj("worker", "w"), "confirm_count", 0), 422,
                        "unknown_field", "filter.worker");
                bad("confirm_count not the count", p, obj("filter", obj("job", "fx"), "confirm_count", 1_000_000),
                        409, "confirm_count_mismatch", null);
            }));
        }
        t.put("GET /v1/batches/{id}", route("GET", "/v1/batches/" + UNKNOWN, () -> {
            bad("unknown batch", "/v1/batches/" + UNKNOWN, null, 404, "not_found", null);
            bad("not a uuid", "/v1/batches/nope", null, 404, "not_found", null);
        }));
    }

    /** Event sources, their subscriptions, inbound deliveries and the endpoints list. */
    private void ingestCases(Map<String, RouteCases> t) {
        String src = "/v1/event-sources/fxsrc";
        String none = "00000000-0000-7000-8000-000000000000";
        t.put("POST /v1/event-sources", route("POST", "/v1/event-sources", () -> {
            String p = "/v1/event-sources";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("slug missing", p, obj("verify", "none"), 422, "validation_failed", "slug");
            bad("slug with spaces", p, obj("slug", "a b"), 422, "validation_failed", "slug");
            bad("slug a number", p, obj("slug", 5), 400, "invalid_type", "slug");
            bad("verify unknown", p, obj("slug", "s1", "verify", "md5"), 422, "validation_failed", "verify");
            bad("slug taken", p, obj("slug", "fxsrc"), 409, "slug_taken", null);
            bad("unknown field", p, obj("slug", "s1", "secret", "mine"), 422, "unknown_field", "secret");
        }));
        t.put("GET /v1/event-sources", route("GET", "/v1/event-sources", () -> listParams("/v1/event-sources")));
        t.put("GET /v1/event-sources/{id}", route("GET", src, () -> {
            bad("unknown id", "/v1/event-sources/" + none, null, 404, "not_found", null);
            bad("unknown slug", "/v1/event-sources/nope", null, 404, "not_found", null);
            bad("no slug can be this", "/v1/event-sources/A%20B", null, 404, "not_found", null);
        }));
        t.put("DELETE /v1/event-sources/{id}", route("DELETE", "/v1/event-sources/nope", () ->
                bad("unknown source", "/v1/event-sources/" + none, null, 404, "not_found", null)));
        t.put("POST /v1/event-sources/{id}/subscriptions", route("POST", src + "/subscriptions", () -> {
            String p = src + "/subscriptions";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("neither job nor workflow", p, obj(), 422, "validation_failed", "job");
            bad("both", p, obj("job", "fx", "workflow", "wfx"), 422, "validation_failed", "workflow");
            bad("unknown job", p, obj("job", "nope"), 422, "validation_failed", "job");
            bad("unknown workflow", p, obj("workflow", "nope"), 422, "validation_failed", "workflow");
            bad("job a number", p, obj("job", 5), 400, "invalid_type", "job");
            bad("filter over input", p, obj("job", "fx", "filter", obj("path", "input.x", "equals", 1)), 422,
                    "validation_failed", "filter");
            bad("filter with an unknown operator", p, obj("job", "fx", "filter", obj("path", "event.x", "like", 1)),
                    422, "validation_failed", "filter");
            bad("filter not an object", p, obj("job", "fx", "filter", "event.x"), 422, "validation_failed", "filter");
            bad("payload over steps", p, obj("job", "fx", "payload", obj("a", "{{steps.a.output}}")), 422,
                    "validation_failed", "payload");
            bad("payload with an unclosed template", p, obj("job", "fx", "payload", "{{event.x"), 422,
                    "validation_failed", "payload");
            bad("unknown field", p, obj("job", "fx", "queue", "q"), 422, "unknown_field", "queue");
            bad("unknown source", "/v1/event-sources/nope/subscriptions", obj("job", "fx"), 404, "not_found", null);
        }));
        t.put("GET /v1/event-sources/{id}/subscriptions", route("GET", src + "/subscriptions", () -> {
            listParams(src + "/subscriptions");
            bad("unknown source", "/v1/event-sources/nope/subscriptions", null, 404, "not_found", null);
        }));
        t.put("DELETE /v1/event-sources/{id}/subscriptions/{sub_id}", route("DELETE",
                src + "/subscriptions/" + none, () -> {
                    bad("unknown subscription", src + "/subscriptions/" + none, null, 404, "not_found", null);
                    bad("not a uuid", src + "/subscriptions/x", null, 404, "not_found", null);
                    bad("unknown source", "/v1/event-sources/nope/subscriptions/" + none, null, 404, "not_found",
                            null);
                }));
        t.put("GET /v1/event-sources/{id}/events", route("GET", src + "/events", () -> {
            listParams(src + "/events");
            bad("unknown source", "/v1/event-sources/nope/events", null, 404, "not_found", null);
        }));
        t.put("POST /v1/ingest/{source_id}", route("POST", "/v1/ingest/" + openSource, () -> {
            bad("unknown source", "/v1/ingest/" + none, obj("a", 1), 404, "not_found", null);
            bad("not a uuid", "/v1/ingest/fxsrc", obj("a", 1), 404, "not_found", null);
            bad("unsigned to a signed source", "/v1/ingest/" + signedSource, obj("a", 1), 401, "invalid_signature",
                    null);
            raw("empty body", "/v1/ingest/" + openSource, "", 400, null, null);
            bad("a number is not an event", "/v1/ingest/" + openSource, 5, 400, "invalid_body", null);
        }));
        t.put("GET /v1/endpoints", route("GET", "/v1/endpoints", () ->
                open("query parameters are ignored", "/v1/endpoints?limit=0", TestServer.ADMIN_KEY)));
    }

    private void webhookCases(Map<String, RouteCases> t) {
        String w = "/v1/webhooks/" + webhookId;
        t.put("POST /v1/webhooks", route("POST", "/v1/webhooks", () -> {
            String p = "/v1/webhooks";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("url missing", p, obj("event_types", List.of("run.*")), 422, "validation_failed", "url");
            bad("url a number", p, obj("url", 5), 400, "invalid_type", "url");
            bad("url not http", p, obj("url", "ftp://example.com/x"), 422, "validation_failed", "url");
            bad("url private", p, obj("url", "http://10.0.0.1/x"), 422, "validation_failed", "url");
            bad("url metadata", p, obj("url", "http://169.254.169.254/"), 422, "validation_failed", "url");
            bad("event_types a string", p, obj("url", "http://127.0.0.1:9/x", "event_types", "run.*"), 400,
                    "invalid_type", "event_types");
            bad("event type not a type", p, obj("url", "http://127.0.0.1:9/x", "event_types", List.of("Run!")), 422,
                    "validation_failed", "event_types");
            bad("enabled a string", p, obj("url", "http://127.0.0.1:9/x", "enabled", "yes"), 400, "invalid_type",
                    "enabled");
            bad("unknown field", p, obj("url", "http://127.0.0.1:9/x", "secret", "whsec_x"), 422, "unknown_field",
                    "secret");
        }));
        t.put("GET /v1/webhooks", route("GET", "/v1/webhooks", () -> listParams("/v1/webhooks")));
        t.put("GET /v1/webhooks/{id}", route("GET", w, () -> unknownWebhooks("", null)));
        t.put("PATCH /v1/webhooks/{id}", route("PATCH", w, () -> {
            unknownWebhooks("", obj("enabled", true));
            bad("url private", w, obj("url", "http://192.168.1.1/x"), 422, "validation_failed", "url");
            bad("enabled a number", w, obj("enabled", 1), 400, "invalid_type", "enabled");
            bad("unknown field", w, obj("secret", "x"), 422, "unknown_field", "secret");
        }));
        t.put("DELETE /v1/webhooks/{id}", route("DELETE", w, () -> unknownWebhooks("", null)));
        t.put("POST /v1/webhooks/{id}/rotate-secret", route("POST", w + "/rotate-secret", () -> {
            unknownWebhooks("/rotate-secret", obj());
            bad("unknown field", w + "/rotate-secret", obj("secret", "whsec_x"), 422, "unknown_field", "secret");
        }));
        t.put("GET /v1/webhooks/{id}/deliveries", route("GET", w + "/deliveries", () -> {
            unknownWebhooks("/deliveries", null);
            listParams(w + "/deliveries");
            bad("unknown status", w + "/deliveries?status=lost", null, 400, "invalid_parameter", null);
        }));
        t.put("POST /v1/webhook-deliveries/{id}/replay", route("POST", "/v1/webhook-deliveries/" + UNKNOWN + "/replay",
                () -> {
                    bad("unknown delivery", "/v1/webhook-deliveries/" + UNKNOWN + "/replay", obj(), 404, "not_found",
                            null);
                    bad("not a delivery id", "/v1/webhook-deliveries/nope/replay", obj(), 404, "not_found", null);
                    bad("unknown field", "/v1/webhook-deliveries/" + UNKNOWN + "/replay", obj("now", true), 422,
                            "unknown_field", "now");
                }));
    }

    private void drainCases(Map<String, RouteCases> t) {
        String d = "/v1/log-drains/" + drainId;
        t.put("POST /v1/log-drains", route("POST", "/v1/log-drains", () -> {
            String p = "/v1/log-drains";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("url missing", p, obj("event_types", List.of("run.*")), 422, "validation_failed", "url");
            bad("url a number", p, obj("url", 5), 400, "invalid_type", "url");
            bad("url not http", p, obj("url", "ftp://example.com/x"), 422, "validation_failed", "url");
            bad("url private", p, obj("url", "http://10.0.0.1/x"), 422, "validation_failed", "url");
            bad("url metadata", p, obj("url", "http://169.254.169.254/"), 422, "validation_failed", "url");
            bad("event_types a string", p, obj("url", "http://127.0.0.1:9/x", "event_types", "run.*"), 400,
                    "invalid_type", "event_types");
            bad("event type not a type", p, obj("url", "http://127.0.0.1:9/x", "event_types", List.of("Run!")), 422,
                    "validation_failed", "event_types");
            bad("format not ndjson", p, obj("url", "http://127.0.0.1:9/x", "format", "csv"), 422,
                    "validation_failed", "format");
            bad("format a number", p, obj("url", "http://127.0.0.1:9/x", "format", 1), 400, "invalid_type",
                    "format");
            bad("enabled a string", p, obj("url", "http://127.0.0.1:9/x", "enabled", "yes"), 400, "invalid_type",
                    "enabled");
            bad("unknown field", p, obj("url", "http://127.0.0.1:9/x", "secret", "whsec_x"), 422, "unknown_field",
                    "secret");
        }));
        t.put("GET /v1/log-drains", route("GET", "/v1/log-drains", () -> listParams("/v1/log-drains")));
        t.put("GET /v1/log-drains/{id}", route("GET", d, () -> unknownDrains("", null)));
        t.put("PATCH /v1/log-drains/{id}", route("PATCH", d, () -> {
            unknownDrains("", obj("enabled", true));
            bad("enabled missing", d, obj(), 422, "validation_failed", "enabled");
            bad("enabled a number", d, obj("enabled", 1), 400, "invalid_type", "enabled");
            bad("url is not changed here", d, obj("url", "http://127.0.0.1:9/y"), 422, "unknown_field", "url");
        }));
        t.put("DELETE /v1/log-drains/{id}", route("DELETE", d, () -> unknownDrains("", null)));
        t.put("GET /v1/log-drains/{id}/batches", route("GET", d + "/batches", () -> {
            unknownDrains("/batches", null);
            listParams(d + "/batches");
            bad("unknown status", d + "/batches?status=pending", null, 400, "invalid_parameter", null);
        }));
    }

    private void sloCases(Map<String, RouteCases> t) {
        String s = "/v1/slos/" + sloId;
        t.put("POST /v1/jobs/{job}/slos", route("POST", "/v1/jobs/fx/slos", () -> {
            String p = "/v1/jobs/fx/slos";
            bad("unknown job", "/v1/jobs/nope/slos", obj("name", "x", "metric", "success_rate", "target", 0.9), 404,
                    "not_found", null);
            raw("empty body", p, "", 400, "invalid_body", null);
            raw("an array", p, "[1]", 400, "invalid_body", null);
            bad("name missing", p, obj("metric", "success_rate", "target", 0.9), 422, "validation_failed", "name");
            bad("name blank", p, obj("name", " ", "metric", "success_rate", "target", 0.9), 422, "validation_failed",
                    "name");
            bad("name too long", p, obj("name", "a".repeat(201), "metric", "success_rate", "target", 0.9), 422,
                    "validation_failed", "name");
            bad("name taken", p, obj("name", "fx-slo", "metric", "success_rate", "target", 0.9), 409, "name_taken",
                    "name");
            bad("metric missing", p, obj("name", "x", "target", 0.9), 422, "validation_failed", "metric");
            bad("metric unknown", p, obj("name", "x", "metric", "duration_p50_ms", "target", 0.9), 422,
                    "validation_failed", "metric");
            bad("metric a number", p, obj("name", "x", "metric", 95, "target", 0.9), 400, "invalid_type", "metric");
            bad("target missing", p, obj("name", "x", "metric", "success_rate"), 422, "validation_failed", "target");
            bad("target null", p, obj("name", "x", "metric", "success_rate", "target", null), 422,
                    "validation_failed", "target");
            bad("target a string", p, obj("name", "x", "metric", "success_rate", "target", "0.9"), 400,
                    "invalid_type", "target");
            bad("success target 1", p, obj("name", "x", "metric", "success_rate", "target", 1), 422,
                    "validation_failed", "target");
            bad("success target 0", p, obj("name", "x", "metric", "success_rate", "target", 0), 422,
                    "validation_failed", "target");
            bad("success target a percentage", p, obj("name", "x", "metric", "success_rate", "target", 99.9), 422,
                    "validation_failed", "target");
            bad("duration target negative", p, obj("name", "x", "metric", "duration_p95_ms", "target", -5), 422,
                    "validation_failed", "target");
            bad("duration target over 30 days", p, obj("name", "x", "metric", "duration_p99_ms", "target", 3e9), 422,
                    "validation_failed", "target");
            bad("window_days 0", p, obj("name", "x", "metric", "success_rate", "target", 0.9, "window_days", 0), 422,
                    "validation_failed", "window_days");
            bad("window_days 91", p, obj("name", "x", "metric", "success_rate", "target", 0.9, "window_days", 91),
                    422, "validation_failed", "window_days");
            bad("window_days 1.5", p, obj("name", "x", "metric", "success_rate", "target", 0.9, "window_days", 1.5),
                    400, "invalid_type", "window_days");
            bad("unknown field", p, obj("name", "x", "metric", "success_rate", "target", 0.9, "status", "ok"), 422,
                    "unknown_field", "status");
        }));
        t.put("GET /v1/slos", route("GET", "/v1/slos", () -> {
            listParams("/v1/slos");
            bad("unknown job", "/v1/slos?job=nope", null, 404, "not_found", null);
        }));
        t.put("GET /v1/slos/{id}", route("GET", s, () -> unknownSlos("", null)));
        t.put("DELETE /v1/slos/{id}", route("DELETE", s, () -> unknownSlos("", null)));
        t.put("GET /v1/slos/{id}/evaluations", route("GET", s + "/evaluations", () -> {
            unknownSlos("/evaluations", null);
            listParams(s + "/evaluations");
        }));
    }

    private void unknownSlos(String suffix, Object body) {
        bad("unknown slo id (UUIDv7)", "/v1/slos/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("slo id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'",
                    "/v1/slos/" + id + suffix, body, 404, "not_found", null);
        }
    }

    /** Unknown drains: a random UUIDv7 and strings that are not UUIDs. */
    private void unknownDrains(String suffix, Object body) {
        bad("unknown drain id (UUIDv7)", "/v1/log-drains/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("drain id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'",
                    "/v1/log-drains/" + id + suffix, body, 404, "not_found", null);
        }
    }

    /** Unknown webhooks: a random UUIDv7 and strings that are not UUIDs. */
    private void unknownWebhooks(String suffix, Object body) {
        bad("unknown webhook id (UUIDv7)", "/v1/webhooks/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("webhook id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'",
                    "/v1/webhooks/" + id + suffix, body, 404, "not_found", null);
        }
    }

    private void noKey(String path) {
        building.add(new Case("no key", method, path, NO_KEY, null, 401, "unauthorized", null, null));
        building.add(new Case("unknown key", method, path, "Bearer drv_not_a_real_key", null, 401, "unauthorized",
                null, null));
    }

    /** Users, projects, members, invitations, resets, API keys, secrets and the audit log. */
    private void identity(Map<String, RouteCases> t) {
        t.put("POST /v1/auth/login", route("POST", "/v1/auth/login", () -> {
            String p = "/v1/auth/login";
            bad("email missing", p, obj("password", "x"), 422, "validation_failed", "email");
            bad("email a number", p, obj("email", 5, "password", "x"), 400, "invalid_type", "email");
            bad("password missing", p, obj("email", "a@example.com"), 422, "validation_failed", "password");
            bad("unknown field", p, obj("email", "a@example.com", "password", "x", "remember", true), 422,
                    "unknown_field", "remember");
        }));
        t.put("POST /v1/auth/logout", route("POST", "/v1/auth/logout", () -> {
            noKey("/v1/auth/logout");
            bad("unknown field", "/v1/auth/logout", obj("everywhere", true), 422, "unknown_field", "everywhere");
        }));
        t.put("GET /v1/me", route("GET", "/v1/me", () -> noKey("/v1/me")));
        t.put("POST /v1/maintenance/retention", route("POST", "/v1/maintenance/retention", () -> {
            // Owner only: the admin key is refused before its body is read (RetentionTest checks an owner's body).
            bad("admin key", "/v1/maintenance/retention", obj(), 403, "forbidden", null);
        }));
        t.put("POST /v1/invitations/accept", route("POST", "/v1/invitations/accept", () -> {
            String p = "/v1/invitations/accept";
            bad("token missing", p, obj("password", "x"), 422, "validation_failed", "token");
            bad("token a number", p, obj("token", 5), 400, "invalid_type", "token");
            bad("wrong token", p, obj("token", "dri_wrong", "password", "long enough passphrase 1"), 404,
                    "invalid_token", null);
            bad("unknown field", p, obj("token", "dri_x", "role", "owner"), 422, "unknown_field", "role");
        }));
        t.put("POST /v1/password-resets", route("POST", "/v1/password-resets", () -> {
            String p = "/v1/password-resets";
            bad("email missing", p, obj(), 422, "validation_failed", "email");
            bad("email a list", p, obj("email", List.of("a")), 400, "invalid_type", "email");
            bad("unknown field", p, obj("email", "a@example.com", "user", 1), 422, "unknown_field", "user");
        }));
        t.put("POST /v1/password-resets/confirm", route("POST", "/v1/password-resets/confirm", () -> {
            String p = "/v1/password-resets/confirm";
            bad("token missing", p, obj("password", "x"), 422, "validation_failed", "token");
            bad("password missing", p, obj("token", "drp_x"), 422, "validation_failed", "password");
            bad("wrong token", p, obj("token", "drp_wrong", "password", "long enough passphrase 1"), 404,
                    "invalid_token", null);
        }));
        t.put("GET /v1/projects", route("GET", "/v1/projects", () -> {
            noKey("/v1/projects");
            listParams("/v1/projects");
        }));
        t.put("POST /v1/projects", route("POST", "/v1/projects", () -> {
            noKey("/v1/projects");
            bad("by an API key", "/v1/projects", obj("slug", "p2"), 403, "forbidden", null);
        }));
        String project = "/v1/projects/default";
        t.put("GET /v1/projects/{project}", route("GET", project, () -> {
            bad("unknown project id", "/v1/projects/" + UNKNOWN, null, 404, "not_found", null);
            bad("unknown slug", "/v1/projects/no-such-project", null, 404, "not_found", null);
        }));
        t.put("PATCH /v1/projects/{project}", route("PATCH", project, () -> {
            bad("settings a string", project, obj("settings", "all"), 400, "invalid_type", "settings");
            bad("retention_days 0", project, obj("settings", obj("retention_days", 0)), 422, "validation_failed",
                    "settings.retention_days");
            bad("unknown setting", project, obj("settings", obj("colour", "red")), 422, "unknown_field",
                    "settings.colour");
            bad("unknown time zone", project, obj("settings", obj("timezone", "Mars/Base")), 422,
                    "validation_failed", "settings.timezone");
            bad("bad redaction pattern", project, obj("settings", obj("redaction", obj("patterns", List.of("(")))),
                    422, "validation_failed", "settings.redaction.patterns");
            bad("name a number", project, obj("name", 5), 400, "invalid_type", "name");
            bad("another project", "/v1/projects/" + UNKNOWN, obj("name", "x"), 404, "not_found", null);
        }));
        t.put("GET /v1/projects/{project}/members", route("GET", project + "/members", () -> {
            listParams(project + "/members");
            bad("unknown project", "/v1/projects/" + UNKNOWN + "/members", null, 404, "not_found", null);
        }));
        String member = project + "/members/" + UNKNOWN;
        t.put("PATCH /v1/projects/{project}/members/{user_id}", route("PATCH", member, () -> {
            bad("unknown member", member, obj("role", "viewer"), 404, "not_found", null);
            bad("not a user id", project + "/members/not-a-uuid", obj("role", "viewer"), 404, "not_found", null);
            bad("role missing", member, obj(), 422, "validation_failed", "role");
            bad("unknown role", member, obj("role", "boss"), 422, "validation_failed", "role");
        }));
        t.put("DELETE /v1/projects/{project}/members/{user_id}", route("DELETE", member, () -> {
            bad("unknown member", member, null, 404, "not_found", null);
            bad("not a user id", project + "/members/123", null, 404, "not_found", null);
        }));
        t.put("POST /v1/invitations", route("POST", "/v1/invitations", () -> {
            String p = "/v1/invitations";
            bad("email missing", p, obj("role", "viewer"), 422, "validation_failed", "email");
            bad("not an email", p, obj("email", "nobody"), 422, "validation_failed", "email");
            bad("unknown role", p, obj("email", "a@example.com", "role", "god"), 422, "validation_failed", "role");
            bad("unknown field", p, obj("email", "a@example.com", "project", "x"), 422, "unknown_field", "project");
        }));
        t.put("GET /v1/invitations", route("GET", "/v1/invitations", () -> listParams("/v1/invitations")));
        t.put("DELETE /v1/invitations/{id}", route("DELETE", "/v1/invitations/" + UNKNOWN, () -> {
            bad("unknown invitation", "/v1/invitations/" + UNKNOWN, null, 404, "not_found", null);
            bad("not an id", "/v1/invitations/not-a-uuid", null, 404, "not_found", null);
        }));
        t.put("POST /v1/api-keys", route("POST", "/v1/api-keys", () -> {
            String p = "/v1/api-keys";
            bad("name missing", p, obj("role", "viewer"), 422, "validation_failed", "name");
            bad("unknown role", p, obj("name", "k", "role", "root"), 422, "validation_failed", "role");
            bad("expires_at in the past", p, obj("name", "k", "expires_at", "2001-01-01T00:00:00Z"), 422,
                    "validation_failed", "expires_at");
            bad("expires_at not a time", p, obj("name", "k", "expires_at", "tomorrow"), 422, "validation_failed",
                    "expires_at");
            bad("read_secrets a string", p, obj("name", "k", "read_secrets", "yes"), 400, "invalid_type",
                    "read_secrets");
            bad("above the caller's role", p, obj("name", "k", "role", "owner"), 403, "forbidden", null);
        }));
        t.put("GET /v1/api-keys", route("GET", "/v1/api-keys", () -> listParams("/v1/api-keys")));
        String key = "/v1/api-keys/" + UNKNOWN;
        t.put("GET /v1/api-keys/{id}", route("GET", key, () -> {
            bad("unknown key", key, null, 404, "not_found", null);
            bad("not an id", "/v1/api-keys/not-a-uuid", null, 404, "not_found", null);
        }));
        t.put("DELETE /v1/api-keys/{id}", route("DELETE", key, () -> {
            bad("unknown key", key, null, 404, "not_found", null);
            bad("not an id", "/v1/api-keys/123", null, 404, "not_found", null);
        }));
        t.put("POST /v1/api-keys/{id}/rotate", route("POST", key + "/rotate", () -> {
            bad("unknown key", key + "/rotate", obj(), 404, "not_found", null);
            bad("negative grace", key + "/rotate", obj("grace_secs", -1), 422, "validation_failed", "grace_secs");
            bad("grace over 30 days", key + "/rotate", obj("grace_secs", 40L * 86400), 422, "validation_failed",
                    "grace_secs");
            bad("grace a string", key + "/rotate", obj("grace_secs", "soon"), 400, "invalid_type", "grace_secs");
        }));
        t.put("POST /v1/secrets", route("POST", "/v1/secrets", () -> {
            String p = "/v1/secrets";
            bad("name missing", p, obj("value", "v"), 422, "validation_failed", "name");
            bad("name with a space", p, obj("name", "A B", "value", "v"), 422, "validation_failed", "name");
            bad("value missing", p, obj("name", "A"), 422, "validation_failed", "value");
            bad("value a number", p, obj("name", "A", "value", 5), 400, "invalid_type", "value");
            bad("bad environment", p, obj("name", "A", "value", "v", "environment", "Prod!"), 422,
                    "validation_failed", "environment");
            bad("unknown field", p, obj("name", "A", "value", "v", "public", true), 422, "unknown_field", "public");
        }));
        t.put("GET /v1/secrets", route("GET", "/v1/secrets", () -> {
            listParams("/v1/secrets");
            bad("bad environment", "/v1/secrets?environment=..", null, 422, "validation_failed", "environment");
        }));
        t.put("GET /v1/secrets/{name}", route("GET", "/v1/secrets/NOPE", () ->
                bad("unknown secret", "/v1/secrets/NOPE", null, 404, "not_found", null)));
        t.put("PUT /v1/secrets/{name}", route("PUT", "/v1/secrets/NOPE", () -> {
            bad("bad name", "/v1/secrets/bad-name", obj("value", "v"), 422, "validation_failed", "name");
            bad("value missing", "/v1/secrets/NOPE", obj(), 422, "validation_failed", "value");
            raw("malformed JSON", "/v1/secrets/NOPE", "{\"value\": ", 400, "malformed_json", null);
        }));
        t.put("DELETE /v1/secrets/{name}", route("DELETE", "/v1/secrets/NOPE", () ->
                bad("unknown secret", "/v1/secrets/NOPE", null, 404, "not_found", null)));
        t.put("GET /v1/audit-events", route("GET", "/v1/audit-events", () -> {
            listParams("/v1/audit-events");
            bad("since not a time", "/v1/audit-events?since=yesterday", null, 400, "invalid_parameter", null);
            bad("action too long", "/v1/audit-events?action=" + "a".repeat(300), null, 400, "invalid_parameter", null);
        }));
        t.put("GET /v1/audit-events/verify", route("GET", "/v1/audit-events/verify", () ->
                open("query parameters are ignored", "/v1/audit-events/verify?limit=0", TestServer.ADMIN_KEY)));
        t.put("GET /v1/audit-events/export", route("GET", "/v1/audit-events/export", () -> {
            bad("until not a time", "/v1/audit-events/export?until=2026-13-01", null, 400, "invalid_parameter", null);
        }));
    }

    private void workflowCases(Map<String, RouteCases> t) {
        Map<String, Object> step = obj("id", "a", "job", "fx");
        t.put("POST /v1/workflows", route("POST", "/v1/workflows", () -> {
            String p = "/v1/workflows";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("slug missing", p, obj("steps", List.of(step)), 422, "validation_failed", "slug");
            bad("steps missing", p, obj("slug", "w1"), 422, "validation_failed", "steps");
            bad("steps an object", p, obj("slug", "w1", "steps", obj()), 400, "invalid_type", "steps");
            bad("steps empty", p, obj("slug", "w1", "steps", List.of()), 422, "validation_failed", "steps");
            bad("a step not an object", p, obj("slug", "w1", "steps", List.of(5)), 400, "invalid_type", "steps[0]");
            bad("step type unknown", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "type", "x"))), 422,
                    "validation_failed", "steps[0].type");
            bad("cycle", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx", "depends_on",
                    List.of("a")))), 422, "cycle", "steps");
            bad("unknown job", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "nope"))), 422,
                    "unknown_job", "steps[0].job");
            bad("unknown dependency", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx",
                    "depends_on", List.of("z")))), 422, "unknown_step", "steps[0].depends_on");
            bad("bad template", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx", "payload",
                    "{{inputs.x}}"))), 422, "invalid_template", "steps[0]");
            bad("bad condition", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx", "condition",
                    obj("path", "input.x", "like", 1)))), 422, "invalid_condition", "steps[0].condition");
            bad("policy over the cap", p, obj("slug", "w1", "steps", List.of(step), "policy",
                    obj("max_fan_out", 5000)), 422, "validation_failed", "policy.max_fan_out");
            bad("unknown step field", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx", "retries",
                    2))), 422, "unknown_field", "steps[0].retries");
            bad("slug taken", p, obj("slug", "wfx", "steps", List.of(step)), 409, "slug_taken", "slug");
            bad("NUL in a payload", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "job", "fx", "payload",
                    "\u0000"))), 422, "validation_failed", "steps[0].payload");
        }));
        t.put("POST /v1/workflows/validate", route("POST", "/v1/workflows/validate", () -> {
            String p = "/v1/workflows/validate";
            bad("steps missing", p, obj("slug", "w1"), 422, "validation_failed", "steps");
            bad("cycle", p, obj("slug", "w1", "steps", List.of(obj("id", "a", "type", "approval", "depends_on",
                    List.of("a")))), 422, "cycle", "steps");
        }));
        t.put("GET /v1/workflows", route("GET", "/v1/workflows", () -> listParams("/v1/workflows")));
        t.put("GET /v1/workflows/{wf}", route("GET", "/v1/workflows/wfx", () -> unknownWorkflows("", null)));
        t.put("PATCH /v1/workflows/{wf}", route("PATCH", "/v1/workflows/wfx", () -> {
            unknownWorkflows("", obj("description", "x"));
            String p = "/v1/workflows/wfx";
            bad("slug changed", p, obj("slug", "other"), 422, "validation_failed", "slug");
            bad("steps a string", p, obj("steps", "a"), 400, "invalid_type", "steps");
            bad("cycle", p, obj("steps", List.of(obj("id", "a", "type", "approval", "depends_on", List.of("a")))),
                    422, "cycle", "steps");
            bad("unknown field", p, obj("stepz", List.of()), 422, "unknown_field", "stepz");
        }));
        t.put("DELETE /v1/workflows/{wf}", route("DELETE", "/v1/workflows/wfx", () -> unknownWorkflows("", null)));
        t.put("GET /v1/workflows/{wf}/versions", route("GET", "/v1/workflows/wfx/versions",
                () -> unknownWorkflows("/versions", null)));
        t.put("POST /v1/workflows/{wf}/trigger", route("POST", "/v1/workflows/wfx/trigger", () -> {
            unknownWorkflows("/trigger", obj());
            String p = "/v1/workflows/wfx/trigger";
            bad("idempotency_key empty", p, obj("idempotency_key", ""), 422, "validation_failed", "idempotency_key");
            bad("idempotency_key a number", p, obj("idempotency_key", 1), 400, "invalid_type", "idempotency_key");
            bad("unknown field", p, obj("inputs", obj()), 422, "unknown_field", "inputs");
            bad("NUL in the input", p, obj("input", obj("x", "\u0000")), 422, "validation_failed", "input.x");
        }));
        t.put("GET /v1/workflow-runs", route("GET", "/v1/workflow-runs", () -> {
            listParams("/v1/workflow-runs");
            bad("status=nope", "/v1/workflow-runs?status=nope", null, 400, "invalid_parameter", null);
            bad("workflow=<unknown>", "/v1/workflow-runs?workflow=nope", null, 404, "not_found", null);
        }));
        String wr = "/v1/workflow-runs/" + waitingRun;
        t.put("GET /v1/workflow-runs/{id}", route("GET", wr, () -> unknownWorkflowRuns("", null)));
        t.put("GET /v1/workflow-runs/{id}/explain", route("GET", wr + "/explain",
                () -> unknownWorkflowRuns("/explain", null)));
        t.put("POST /v1/workflow-runs/{id}/cancel", route("POST", wr + "/cancel", () -> {
            unknownWorkflowRuns("/cancel", obj());
            bad("a finished run", "/v1/workflow-runs/" + doneRun + "/cancel", obj(), 409, "illegal_transition", null);
            bad("unknown field", wr + "/cancel", obj("force", true), 422, "unknown_field", "force");
        }));
        for (String action : List.of("approve", "reject")) {
            t.put("POST /v1/workflow-runs/{id}/steps/{step}/" + action, route("POST", wr + "/steps/ask/" + action,
                    () -> {
                        unknownWorkflowRuns("/steps/ask/" + action, obj());
                        bad("unknown step", wr + "/steps/nope/" + action, obj(), 404, "not_found", null);
                        bad("not an approval step", wr + "/steps/after/" + action, obj(), 409, "not_an_approval",
                                null);
                        bad("a finished run", "/v1/workflow-runs/" + doneRun + "/steps/nap/" + action, obj(), 409,
                                "not_an_approval", null);
                        bad("comment a number", wr + "/steps/ask/" + action, obj("comment", 5), 400, "invalid_type",
                                "comment");
                        bad("unknown field", wr + "/steps/ask/" + action, obj("reason", "x"), 422, "unknown_field",
                                "reason");
                    }));
        }
        t.put("POST /v1/workflow-runs/{id}/steps/{step}/retry", route("POST", wr + "/steps/ask/retry", () -> {
            unknownWorkflowRuns("/steps/ask/retry", obj());
            bad("unknown step", wr + "/steps/nope/retry", obj(), 404, "not_found", null);
            bad("a step that did not fail", wr + "/steps/ask/retry", obj(), 409, "not_failed", null);
            bad("unknown field", wr + "/steps/ask/retry", obj("all", true), 422, "unknown_field", "all");
        }));
        t.put("POST /v1/events/{key}/send", route("POST", "/v1/events/fx-sent/send", () -> {
            String p = "/v1/events/fx-sent/send";
            bad("another payload for a sent key", p, obj("payload", 2), 409, "event_already_sent", null);
            bad("key over 255 characters", "/v1/events/" + "k".repeat(256) + "/send", obj(), 422,
                    "validation_failed", "key");
            bad("unknown field", p, obj("data", 1), 422, "unknown_field", "data");
        }));
        t.put("POST /v1/events/prefix/{prefix}/send", route("POST", "/v1/events/prefix/fx-/send", () -> {
            String p = "/v1/events/prefix/fx-/send";
            bad("unknown field", p, obj("payloads", 1), 422, "unknown_field", "payloads");
            bad("NUL in the payload", p, obj("payload", "\u0000"), 422, "validation_failed", "payload");
        }));
        t.put("POST /v1/approvals", route("POST", "/v1/approvals", () -> {
            String p = "/v1/approvals";
            raw("empty body", p, "", 400, "invalid_body", null);
            bad("action missing", p, obj("risk_level", "low"), 422, "validation_failed", "action");
            bad("action a number", p, obj("action", 1), 400, "invalid_type", "action");
            bad("risk_level unknown", p, obj("action", "a", "risk_level", "extreme"), 422, "validation_failed",
                    "risk_level");
            bad("expires_in_secs 0", p, obj("action", "a", "expires_in_secs", 0), 422, "validation_failed",
                    "expires_in_secs");
            bad("unknown field", p, obj("action", "a", "risk", "low"), 422, "unknown_field", "risk");
        }));
        t.put("GET /v1/stream", route("GET", "/v1/stream", () -> {
            bad("types not an event type", "/v1/stream?types=Run.Created", null, 400, "invalid_parameter", null);
            bad("types with a star inside", "/v1/stream?types=run.*.x", null, 400, "invalid_parameter", null);
            bad("types over 50", "/v1/stream?types=" + "a,".repeat(51), null, 400, "invalid_parameter", null);
            bad("after not an event id", "/v1/stream?after=zz", null, 400, "invalid_cursor", null);
            bad("after one short", "/v1/stream?after=" + "0".repeat(32), null, 400, "invalid_cursor", null);
        }));
        t.put("GET /v1/approvals", route("GET", "/v1/approvals", () -> {
            listParams("/v1/approvals");
            bad("status=nope", "/v1/approvals?status=nope", null, 400, "invalid_parameter", null);
        }));
        String ap = "/v1/approvals/" + pendingApproval;
        t.put("GET /v1/approvals/{id}", route("GET", ap, () -> unknownApprovals("", null)));
        for (String action : List.of("approve", "reject")) {
            t.put("POST /v1/approvals/{id}/" + action, route("POST", ap + "/" + action, () -> {
                unknownApprovals("/" + action, obj());
                bad("already resolved", "/v1/approvals/" + resolvedApproval + "/" + action, obj(), 409, "not_pending",
                        null);
                bad("a workflow step's approval", "/v1/approvals/" + stepApproval + "/" + action, obj(), 409,
                        "workflow_step_approval", null);
                bad("comment a number", ap + "/" + action, obj("comment", 1), 400, "invalid_type", "comment");
            }));
        }
    }

    private void unknownWorkflows(String suffix, Object body) {
        bad("unknown workflow id (UUIDv7)", "/v1/workflows/" + UNKNOWN + suffix, body, 404, "not_found", null);
        bad("unknown slug", "/v1/workflows/no-such-wf" + suffix, body, 404, "not_found", null);
        bad("300-char slug", "/v1/workflows/" + "s".repeat(300) + suffix, body, 404, "not_found", null);
    }

    private void unknownWorkflowRuns(String suffix, Object body) {
        bad("unknown workflow run id (UUIDv7)", "/v1/workflow-runs/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("workflow run id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'",
                    "/v1/workflow-runs/" + id + suffix, body, 404, "not_found", null);
        }
    }

    private void unknownApprovals(String suffix, Object body) {
        bad("unknown approval id (UUIDv7)", "/v1/approvals/" + UNKNOWN + suffix, body, 404, "not_found", null);
        bad("approval id 'nope'", "/v1/approvals/nope" + suffix, body, 404, "not_found", null);
    }

    /** limit and cursor of a list endpoint. */
    private void listParams(String p) {
        bad("limit=0", p + "?limit=0", null, 400, "invalid_parameter", null);
        bad("limit=501", p + "?limit=501", null, 400, "invalid_parameter", null);
        bad("limit=-1", p + "?limit=-1", null, 400, "invalid_parameter", null);
        bad("limit=x", p + "?limit=x", null, 400, "invalid_parameter", null);
        bad("limit=1.5", p + "?limit=1.5", null, 400, "invalid_parameter", null);
        bad("cursor=garbage", p + "?cursor=garbage", null, 400, "invalid_cursor", null);
        bad("cursor=!!!", p + "?cursor=!!!", null, 400, "invalid_cursor", null);
        bad("cursor of an event list", p + "?cursor=czEy", null, 400, "invalid_cursor", null);
    }

    /** Unknown jobs: a random UUIDv7, slugs that name nothing, and strings no slug can be. */
    private void unknownJobs(String suffix) {
        unknownJobs(suffix, null);
    }

    private void unknownJobs(String suffix, Object body) {
        bad("unknown job id (UUIDv7)", "/v1/jobs/" + UNKNOWN + suffix, body, 404, "not_found", null);
        bad("unknown slug", "/v1/jobs/no-such-job" + suffix, body, 404, "not_found", null);
        bad("slug that is not a slug", "/v1/jobs/Not%20A%20Slug" + suffix, body, 404, "not_found", null);
        // Jetty itself refuses an encoded NUL in a path as an ambiguous URI, before any route: still our error shape
        bad("slug with NUL", "/v1/jobs/a%00b" + suffix, body, 400, "bad_request", null);
        bad("300-char slug", "/v1/jobs/" + "s".repeat(300) + suffix, body, 404, "not_found", null);
    }

    /** Unknown runs: a random UUIDv7 and strings that are not UUIDs. */
    private void unknownRuns(String suffix, Object body) {
        bad("unknown run id (UUIDv7)", "/v1/runs/" + UNKNOWN + suffix, body, 404, "not_found", null);
        for (String id : NOT_IDS) {
            bad("run id '" + (id.length() > 20 ? id.substring(0, 20) + "..." : id) + "'", "/v1/runs/" + id + suffix,
                    body, 404, "not_found", null);
        }
    }

    // ------------------------------------------------------------------------------ the test

    @Test
    void everyRouteRefusesBadInputWithTheErrorShapeAndChangesNothing() {
        Map<String, RouteCases> table = table();
        Set<String> routes = new TreeSet<>();
        for (Route r : server.server().routes()) {
            routes.add(r.method() + " " + r.path());
        }
        assertThat(table.keySet()).as("routes with bad-input cases (add cases for new routes)")
                .containsExactlyInAnyOrderElementsOf(routes);

        List<String> failures = new ArrayList<>();
        int sent = 0;
        Snapshot before = Snapshot.of(server.db());
        for (Route r : server.server().routes()) {
            String key = r.method() + " " + r.path();
            RouteCases rc = table.get(key);
            List<Case> cases = new ArrayList<>(generic(r, rc.samplePath()));
            cases.addAll(rc.cases());
            assertThat(rc.cases()).as("specific cases for " + key).isNotEmpty();
            for (Case c : cases) {
                sent++;
                String where = key + " [" + c.label() + "] " + c.method() + " " + abbreviate(c.path());
                Api.Answer a;
                try {
                    a = send(c);
                } catch (RuntimeException e) {
                    failures.add(where + ": request failed: " + e);
                    continue;
                }
                try {
                    verify(c, a);
                } catch (AssertionError e) {
                    failures.add(where + ": " + e.getMessage().strip() + "\n      answer " + a.status() + " "
                            + abbreviate(a.text()));
                }
                Snapshot after = Snapshot.of(server.db());
                String diff = before.diff(after);
                if (!diff.isEmpty()) {
                    failures.add(where + ": stored data changed: " + diff);
                    before = after; // report each change once
                }
            }
        }
        assertThat(sent).isGreaterThan(250);
        assertThat(failures).as(failures.size() + " of " + sent + " bad requests misbehaved:\n  "
                + String.join("\n  ", failures)).isEmpty();
    }

    /**
     * A request line Jetty cannot parse (a NUL in the path) is answered by Jetty itself, which then
     * closes the connection. The answer must say so: unsaid, a client that pooled the connection
     * lost its next request ("header parser received no bytes"), as BadInputPropertiesTest did in CI.
     */
    @Test
    void anAnswerJettyGivesItselfClosesTheConnectionAndSaysSo() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(
                    URI.create(server.baseUrl() + "/v1/jobs/a%00b"))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                    .method("DELETE", HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.headers().firstValue("Connection")).as("the Connection header").hasValue("close");
            assertErrorShape(new Api.Answer(refused.statusCode(), MAPPER.readTree(refused.body()), refused.body()));
            assertTheNextRequestIsAnswered(i);
        }
    }

    /** At once, on the same client: a POST is never resent, so a dead pooled connection fails it. */
    private static void assertTheNextRequestIsAnswered(int round) throws Exception {
        HttpResponse<String> next = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/jobs"))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"interval_secs\":\"x\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(next.statusCode()).as("the next request, round %d", round).isEqualTo(422);
    }

    /**
     * A body on a request whose handler does not read it is read and dropped before the answer: a
     * GET that answers 200, and a DELETE whose handler fails (404) before it could read anything.
     * An answer sent in one write was committed before Jetty saw the unread bytes, and Jetty then
     * closed the connection, which failed the client's next request on it or, with the client
     * still sending, the answer itself (BadInputPropertiesTest in CI, on DELETEs with 32 KB and
     * 300 KB bodies).
     */
    @Test
    void aBodyTheHandlerDoesNotReadLeavesTheConnectionUsable() throws Exception {
        byte[] body = ("{\"pad\":\"" + "x".repeat(600_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 10; i++) {
            for (var req : List.of(Map.entry("GET /v1/jobs", 200), Map.entry("DELETE /v1/jobs/no-such-job", 404))) {
                String[] line = req.getKey().split(" ");
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + line[1]))
                        .header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                        .method(line[0], HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(req.getKey()).isEqualTo(req.getValue());
                assertThat(answer.headers().firstValue("Connection")).as("%s kept alive", req.getKey()).isEmpty();
                assertTheNextRequestIsAnswered(i);
            }
        }
    }

    /** Cases every route of its kind gets: bad keys, bad bodies, oversized bodies. */
    private List<Case> generic(Route r, String sample) {
        List<Case> out = new ArrayList<>();
        String m = r.method();
        if (r.role() != null) {
            out.add(new Case("no Authorization", m, sample, NO_KEY, null, 401, "unauthorized", null, null));
            out.add(new Case("unknown key", m, sample, "Bearer drv_not_a_real_key", null, 401, "unauthorized", null,
                    null));
            out.add(new Case("empty bearer", m, sample, "Bearer ", null, 401, "unauthorized", null, null));
            out.add(new Case("Basic scheme with the admin key", m, sample, "Basic " + TestServer.ADMIN_KEY, null,
                    401, "unauthorized", null, null));
            out.add(new Case("admin key with a suffix", m, sample, "Bearer " + TestServer.ADMIN_KEY + "x", null, 401,
                    "unauthorized", null, null));
            out.add(new Case("over-long key", m, sample, "Bearer " + "k".repeat(4000), null, 401, "unauthorized",
                    null, null));
        }
        if (m.equals("POST") || m.equals("PATCH")) {
            // the agent protocol takes the agent's token: with it, the body is what is refused
            String k = r.path().startsWith("/v1/agent/") ? agentToken : TestServer.ADMIN_KEY;
            // An owner-only route refuses the (admin) key before it reads the body.
            boolean owner = r.role() == io.drover.access.Role.OWNER;
            int st = owner ? 403 : 400;
            String malformed = owner ? "forbidden" : "malformed_json";
            out.add(new Case("malformed JSON", m, sample, k, "{\"worker_id\": ", st, malformed, null, null));
            out.add(new Case("not JSON at all", m, sample, k, "worker_id=w1", st, malformed, null, null));
            out.add(new Case("JSON string instead of object", m, sample, k, "\"x\"", st, owner ? malformed : null,
                    null, null));
            out.add(new Case("JSON array instead of object", m, sample, k, "[]", st, owner ? malformed : null, null,
                    null));
            out.add(new Case("nested 1000 deep", m, sample, k, "[".repeat(1000) + "]".repeat(1000), st,
                    malformed, null, null));
            out.add(new Case("over 1 MiB (Content-Length)", m, sample, k, oversize(), 413, "body_too_large", null,
                    null));
            out.add(new Case("over 1 MiB (chunked)", m, sample, k, "CHUNKED" + oversize(), owner ? 403 : 413,
                    owner ? "forbidden" : "body_too_large", null, null));
        }
        if (m.equals("DELETE")) {
            out.add(new Case("over 1 MiB (Content-Length)", m, sample, TestServer.ADMIN_KEY, oversize(), 413,
                    "body_too_large", null, null));
        }
        return out;
    }

    private static String oversize() {
        return "{\"worker_id\":\"w1\",\"pad\":\"" + "x".repeat(MIB) + "\"}";
    }

    private static void verify(Case c, Api.Answer a) {
        assertThat(a.status()).as("never a 5xx").isLessThan(500);
        assertThat(a.status()).as("status").isEqualTo(c.status());
        if (c.status() >= 400) {
            assertErrorShape(a);
            if (c.code() != null) {
                assertThat(a.errorCode()).as("error.code").isEqualTo(c.code());
            }
            if (c.field() != null) {
                assertThat(a.json().path("error").path("details").path("field").asText(null))
                        .as("error.details.field").isEqualTo(c.field());
            }
        }
        if (c.more() != null) {
            c.more().accept(a);
        }
    }

    static void assertErrorShape(Api.Answer a) {
        assertThat(a.json()).as("a JSON body").isNotNull();
        assertThat(a.json().size()).as("only the error member").isEqualTo(1);
        JsonNode e = a.json().path("error");
        assertThat(e.isObject()).as("error is an object").isTrue();
        assertThat(e.path("code").isTextual() && CODE.matcher(e.path("code").asText()).matches())
                .as("error.code is snake_case").isTrue();
        assertThat(e.path("message").isTextual() && !e.path("message").asText().isBlank())
                .as("error.message is a sentence").isTrue();
        assertThat(e.path("details").isObject()).as("error.details is an object").isTrue();
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 160 ? s.substring(0, 160) + "...(" + s.length() + " chars)" : s;
    }

    /** Sends a case as it is: any Authorization header (or none), any body (chunked when marked). */
    private static Api.Answer send(Case c) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + c.path()))
                    .timeout(Duration.ofSeconds(30));
            if (!NO_KEY.equals(c.auth())) {
                b.header("Authorization", c.auth().startsWith("Bearer ") || c.auth().startsWith("Basic ")
                        ? c.auth() : "Bearer " + c.auth());
            }
            if (c.body() == null) {
                b.method(c.method(), HttpRequest.BodyPublishers.noBody());
            } else if (c.body().startsWith("CHUNKED")) {
                byte[] bytes = c.body().substring("CHUNKED".length()).getBytes(StandardCharsets.UTF_8);
                b.header("Content-Type", "application/json").method(c.method(),
                        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)));
            } else {
                b.header("Content-Type", "application/json").method(c.method(),
                        HttpRequest.BodyPublishers.ofString(c.body()));
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : MAPPER.readTree(r.body());
            } catch (IOException e) {
                // not JSON: verify() says so
            }
            return new Api.Answer(r.statusCode(), json, r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
