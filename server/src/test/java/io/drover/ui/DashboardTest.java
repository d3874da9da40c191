package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard over HTTP, as a browser without scripts sees it: redirects to sign-in, the session
 * cookie and CSRF rules of the API, role-aware pages (viewers get redacted payloads and no buttons),
 * the runs list's filters and keyset pages, cancel and replay.
 */
@DroverTest
class DashboardTest {
    static TestServer server;
    static Api admin;
    static UiClient viewer;
    static UiClient operator;

    @BeforeAll
    static void start() {
        admin = new Api(server);
        viewer = UiKit.user(server, "viewer@example.com", "viewer");
        operator = UiKit.user(server, "operator@example.com", "operator");
        assertThat(admin.post("/v1/jobs", Map.of("slug", "ui-mail", "queue", "ui-mails")).status()).isEqualTo(201);
        assertThat(admin.post("/v1/jobs", Map.of("slug", "ui-resize", "queue", "ui-images")).status()).isEqualTo(201);
    }

    static String trigger(String job, Object payload) {
        var r = admin.post("/v1/jobs/" + job + "/trigger", Map.of("payload", payload));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    @Test
    void theRootAndUnsignedPagesRedirect() {
        UiClient anon = new UiClient(server.baseUrl());
        var root = anon.get("/");
        assertThat(root.status()).isEqualTo(302);
        assertThat(root.header("Location")).isEqualTo("/ui/");
        var runs = anon.get("/ui/runs?status=queued");
        assertThat(runs.status()).isEqualTo(302);
        assertThat(runs.header("Location")).isEqualTo("/ui/login?next=%2Fui%2Fruns%3Fstatus%3Dqueued");
        var htmx = anon.post("/ui/runs/rows", Map.of(), Map.of("HX-Request", "true"));
        assertThat(htmx.status()).isIn(204, 302, 405);
        var login = anon.get("/ui/login?next=%2Fui%2Fruns");
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.body()).contains("<form method=\"post\" action=\"/ui/login\">").contains("value=\"/ui/runs\"");
        // an open redirect is not possible: next must be a dashboard path
        assertThat(DashboardRoutes.safeNext("//evil.example/ui/")).isEqualTo("/ui/");
        assertThat(DashboardRoutes.safeNext("https://evil.example/")).isEqualTo("/ui/");
    }

    @Test
    void signInAndSignOutUseTheSessionAndItsCsrfToken() {
        UiClient b = new UiClient(server.baseUrl());
        var wrong = b.signIn("operator@example.com", "not the password at all");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("Wrong email or password");
        var ok = b.post("/ui/login", Map.of("email", "operator@example.com", "password", UiKit.PASSWORD,
                "next", "/ui/runs"), Map.of());
        assertThat(ok.status()).isEqualTo(303);
        assertThat(ok.header("Location")).isEqualTo("/ui/runs");
        assertThat(ok.response().headers().allValues("Set-Cookie")).anySatisfy(c -> assertThat(c)
                .startsWith("drover_session=").contains("HttpOnly").contains("SameSite=Lax"));
        var page = b.get("/ui/runs");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("operator@example.com").contains("<h1>Runs</h1>");

        var noToken = b.post("/ui/logout", Map.of(), Map.of("HX-Request", "true"));
        assertThat(noToken.status()).isEqualTo(403);
        assertThat(b.get("/ui/runs").status()).isEqualTo(200);
        var out = b.htmxPost("/ui/logout", Map.of());
        assertThat(out.status()).isEqualTo(204);
        assertThat(out.header("HX-Redirect")).isEqualTo("/ui/login");
        assertThat(b.get("/ui/runs").status()).isEqualTo(302);
    }

    @Test
    void everyPageIsHtmlUnderAStrictPolicyWithoutInlineScripts() {
        String run = trigger("ui-mail", Map.of("to", "csp@example.com"));
        for (String path : List.of("/ui/", "/ui/runs", "/ui/runs/" + run)) {
            var page = operator.get(path);
            assertThat(page.status()).as(path).isEqualTo(200);
            assertThat(page.header("Content-Type")).startsWith("text/html");
            assertThat(page.header("Content-Security-Policy")).contains("default-src 'self'")
                    .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(page.body().replaceAll("<script src=\"/ui/static/[a-z.]+\"></script>", ""))
                    .as(path).doesNotContain("<script").doesNotContain(" onclick=").doesNotContain("style=");
        }
        var js = operator.get("/ui/static/htmx.min.js");
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.header("Content-Type")).startsWith("text/javascript");
        assertThat(js.body()).startsWith("/*! htmx 2.");
        assertThat(operator.get("/ui/static/nothing.js").status()).isEqualTo(404);
        assertThat(operator.get("/ui/no-such-page").status()).isEqualTo(404);
    }

    @Test
    void theRunsListFiltersByJobStatusQueueAndTimeAndPagesByCursor() {
        String mail = trigger("ui-mail", Map.of("n", 1));
        String image = trigger("ui-resize", Map.of("n", 2));
        var byJob = operator.get("/ui/runs?job=ui-resize");
        assertThat(byJob.body()).contains(image).doesNotContain(mail);
        var byQueue = operator.get("/ui/runs?queue=ui-mails");
        assertThat(byQueue.body()).contains(mail).doesNotContain(image);
        var byStatus = operator.get("/ui/runs?status=completed&job=ui-mail");
        assertThat(byStatus.body()).doesNotContain(mail).contains("No runs match.");
        var before = operator.get("/ui/runs?before=2020-01-01T00:00");
        assertThat(before.body()).contains("No runs match.");
        var since = operator.get("/ui/runs?since=2020-01-01T00:00&job=ui-mail");
        assertThat(since.body()).contains(mail);
        var unknownJob = operator.get("/ui/runs?job=no-such-job");
        assertThat(unknownJob.body()).contains("No job named");

        assertThat(admin.post("/v1/jobs", Map.of("slug", "ui-many", "queue", "ui-many")).status()).isEqualTo(201);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 55; i++) {
            ids.add(trigger("ui-many", Map.of("i", i)));
        }
        var first = operator.get("/ui/runs?job=ui-many");
        assertThat(first.body()).contains(ids.get(54)).contains(ids.get(5)).doesNotContain(ids.get(4) + "\"");
        var next = java.util.regex.Pattern.compile("href=\"(/ui/runs\\?job=ui-many&amp;cursor=[^\"]+)\"")
                .matcher(first.body());
        assertThat(next.find()).as("a next-page link").isTrue();
        var second = operator.get(next.group(1).replace("&amp;", "&"));
        assertThat(second.body()).contains(ids.get(4)).contains(ids.get(0)).doesNotContain(ids.get(5))
                .doesNotContain("rel=\"next\"");
        // the queue filter walks the same keyset pages
        var many = operator.get("/ui/runs?queue=ui-many&status=queued");
        assertThat(many.body()).contains(ids.get(54)).contains("rel=\"next\"");
    }

    @Test
    void badFiltersAreA4xxPageAndChangeNothing() {
        Snapshot before = Snapshot.of(server.db());
        var status = operator.get("/ui/runs?status=nonsense");
        assertThat(status.status()).isEqualTo(422);
        assertThat(status.body()).contains("status").contains("nonsense");
        var time = operator.get("/ui/runs?since=yesterday");
        assertThat(time.status()).isEqualTo(422);
        var cursor = operator.get("/ui/runs?cursor=zzzz");
        assertThat(cursor.status()).isBetween(400, 499);
        var run = operator.get("/ui/runs/not-a-run");
        assertThat(run.status()).isEqualTo(404);
        var missing = operator.get("/ui/runs/00000000-0000-7000-8000-000000000000");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }

    @Test
    void aChildRunsPageLinksItsParent() {
        String parent = trigger("ui-mail", Map.of("to", "parent@example.com"));
        var child = admin.post("/v1/jobs/ui-mail/trigger", Map.of("payload", Map.of("to", "child@example.com"),
                "parent_run_id", parent));
        assertThat(child.status()).as(child.text()).isEqualTo(201);
        var page = viewer.get("/ui/runs/" + child.json().get("id").asText());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("Parent run").contains("href=\"/ui/runs/" + parent + "\"");
        assertThat(viewer.get("/ui/runs/" + parent).body()).doesNotContain("Parent run");
    }

    @Test
    void aViewerSeesRedactedPayloadsAndNoButtons() {
        String run = trigger("ui-mail", Map.of("to", "ada@example.com", "password", "hunter2-secret-value"));
        var seen = viewer.get("/ui/runs/" + run);
        assertThat(seen.status()).isEqualTo(200);
        assertThat(seen.body()).contains("ada@example.com").doesNotContain("hunter2-secret-value")
                .doesNotContain("id=\"cancel\"").doesNotContain("id=\"replay\"");
        var op = operator.get("/ui/runs/" + run);
        assertThat(op.body()).contains("id=\"cancel\"").contains("hunter2-secret-value");
        // and the viewer's write is refused by role, whatever the page drew
        var refused = viewer.htmxPost("/ui/runs/" + run + "/cancel", Map.of());
        assertThat(refused.status()).isEqualTo(403);
        assertThat(admin.get("/v1/runs/" + run).json().get("status").asText()).isEqualTo("queued");
    }

    @Test
    void anOperatorCancelsAndReplaysWithTheCsrfToken() {
        String run = trigger("ui-mail", Map.of("n", 3));
        var noToken = operator.post("/ui/runs/" + run + "/cancel", Map.of(), Map.of("HX-Request", "true"));
        assertThat(noToken.status()).isEqualTo(403);
        assertThat(admin.get("/v1/runs/" + run).json().get("status").asText()).isEqualTo("queued");

        var canceled = operator.htmxPost("/ui/runs/" + run + "/cancel", Map.of());
        assertThat(canceled.status()).isEqualTo(204);
        assertThat(canceled.header("HX-Redirect")).isEqualTo("/ui/runs/" + run);
        assertThat(admin.get("/v1/runs/" + run).json().get("status").asText()).isEqualTo("canceled");
        var again = operator.htmxPost("/ui/runs/" + run + "/cancel", Map.of());
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body()).contains("role=\"alert\"");

        var page = operator.get("/ui/runs/" + run);
        assertThat(page.body()).contains("id=\"replay\"").doesNotContain("id=\"cancel\"");
        var replayed = operator.htmxPost("/ui/runs/" + run + "/replay", Map.of());
        assertThat(replayed.status()).isEqualTo(204);
        String to = replayed.header("HX-Redirect");
        assertThat(to).startsWith("/ui/runs/");
        String newRun = to.substring("/ui/runs/".length());
        assertThat(admin.get("/v1/runs/" + newRun).json().get("status").asText()).isEqualTo("queued");
        var audit = admin.get("/v1/audit-events?limit=100");
        assertThat(audit.text()).contains("run.cancel");
    }

    @Test
    void theOverviewCountsRunsByStateAndListsDeadLetters() {
        assertThat(admin.post("/v1/jobs", Map.of("slug", "ui-dead", "queue", "ui-dead", "max_attempts", 1)).status())
                .isEqualTo(201);
        String run = trigger("ui-dead", Map.of());
        var claimed = admin.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("ui-dead")));
        assertThat(claimed.json().get("data").size()).isEqualTo(1);
        var failed = admin.post("/v1/runs/" + run + "/fail", Map.of("worker_id", "w", "error",
                Map.of("type", "Boom", "message", "it broke"), "retryable", true));
        assertThat(failed.json().get("status").asText()).as(failed.text()).isEqualTo("dead_letter");
        var page = operator.get("/ui/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("Runs by state").contains("dead letter").contains(run)
                .contains("href=\"/ui/runs?job=ui-dead\"").contains("ui-dead");
        var detail = operator.get("/ui/runs/" + run);
        assertThat(detail.body()).contains("it broke").contains("dead lettered");
    }

    /** A registered agent (quartz) with one failed and one started task and one schedule; its id. */
    static String agentWithTasks(String name) {
        var made = admin.post("/v1/agents", Map.of("name", name));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        String id = made.json().get("id").asText();
        Api agent = new Api(server.baseUrl(), made.json().get("token").asText());
        assertThat(agent.post("/v1/agent/hello", Map.of("protocol_version", 1, "framework", "quartz",
                "engines", List.of("quartz"), "schedulers", List.of("quartz"), "capabilities", List.of(),
                "metadata", Map.of())).status()).isEqualTo(200);
        var events = agent.post("/v1/agent/events", Map.of("events", List.of(
                Map.of("seq", 1, "type", "task_failed", "ts", "2026-01-01T00:00:01Z", "task", Map.of("external_id",
                        name + "-f1", "engine", "quartz", "name", "report.nightly", "queue", "reports"), "error",
                        Map.of("type", "IOException", "message", "disk full", "traceback", "at Report.write(42)")),
                Map.of("seq", 2, "type", "task_started", "ts", "2026-01-01T00:00:02Z", "task", Map.of("external_id",
                        name + "-s1", "engine", "quartz", "name", "report.hourly", "queue", "reports")))));
        assertThat(events.status()).as(events.text()).isEqualTo(200);
        assertThat(agent.post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", name + "-nightly",
                "scheduler", "quartz", "task", "report.nightly", "type", "cron", "expression", "0 0 2 * * ?",
                "enabled", true)))).status()).isEqualTo(200);
        return id;
    }

    static String taskId(String agentId, String taskName) {
        for (var t : admin.get("/v1/tasks?agent=" + agentId).json().get("data")) {
            if (t.get("name").asText().equals(taskName)) {
                return t.get("id").asText();
            }
        }
        throw new AssertionError("no task " + taskName);
    }

    @Test
    void aRegisteredAgentAndItsReportedTasksAppear() {
        String id = agentWithTasks("ui-quartz");
        var fleet = viewer.get("/ui/agents");
        assertThat(fleet.status()).isEqualTo(200);
        assertThat(fleet.body()).contains("<h1>Agents</h1>").contains("ui-quartz")
                .contains("data-agent=\"" + id + "\" data-state=\"online\"").contains("quartz")
                .contains("sse-connect=\"/v1/stream?types=agent.*\"").contains("sse:agent.offline");
        assertThat(viewer.get("/ui/agents?state=offline").body()).doesNotContain("ui-quartz");
        assertThat(viewer.get("/ui/agents?state=nonsense").status()).isEqualTo(422);

        var page = viewer.get("/ui/agents/" + id);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("ui-quartz-nightly").contains("0 0 2 * * ?").contains("report.nightly")
                .contains("disk full");
        assertThat(viewer.get("/ui/agents/00000000-0000-7000-8000-000000000000").status()).isEqualTo(404);

        var tasks = viewer.get("/ui/tasks");
        assertThat(tasks.status()).isEqualTo(200);
        assertThat(tasks.body()).contains("<h1>Tasks</h1>").contains("report.nightly").contains("report.hourly")
                .contains("reports").contains("IOException").contains("disk full").contains("ui-quartz");
        assertThat(viewer.get("/ui/tasks?engine=quartz&state=failed&agent=ui-quartz").body())
                .contains("report.nightly").doesNotContain("report.hourly");
        assertThat(viewer.get("/ui/tasks?engine=celery").body()).contains("No tasks match.")
                .doesNotContain("report.nightly");
        assertThat(viewer.get("/ui/tasks?agent=no-such-agent").body()).contains("No agent named");
        assertThat(viewer.get("/ui/tasks?state=nonsense").status()).isEqualTo(422);
    }

    @Test
    void aViewerSeesNoTaskOrScheduleButtonsAndAnOperatorsMakeTheApisCommands() {
        String id = agentWithTasks("ui-buttons");
        String failed = taskId(id, "report.nightly");
        String started = taskId(id, "report.hourly");
        for (String path : List.of("/ui/tasks?agent=ui-buttons", "/ui/agents/" + id)) {
            var seen = viewer.get(path);
            assertThat(seen.body()).as(path).contains("report.nightly").doesNotContain("data-action=\"retry\"")
                    .doesNotContain("data-action=\"cancel\"").doesNotContain("data-action=\"pause\"")
                    .doesNotContain("at Report.write(42)"); // nor the traceback
            var op = operator.get(path);
            assertThat(op.body()).as(path).contains("data-action=\"retry\"").contains("data-action=\"cancel\"")
                    .contains("at Report.write(42)");
        }
        assertThat(operator.get("/ui/agents/" + id).body()).contains("data-action=\"pause\"");

        Snapshot before = Snapshot.of(server.db());
        assertThat(viewer.htmxPost("/ui/tasks/" + failed + "/retry", Map.of()).status()).isEqualTo(403);
        assertThat(viewer.htmxPost("/ui/agents/" + id + "/schedules/pause", Map.of("schedule", "ui-buttons-nightly"))
                .status()).isEqualTo(403);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();

        var retry = operator.htmxPost("/ui/tasks/" + failed + "/retry", Map.of());
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.body()).contains("id=\"command-sent\"").contains("pending");
        String command = java.util.regex.Pattern.compile("data-command=\"([0-9a-f-]{36})\"").matcher(retry.body())
                .results().findFirst().orElseThrow().group(1);
        var made = admin.get("/v1/commands/" + command).json();
        assertThat(made.get("type").asText()).isEqualTo("retry");
        assertThat(made.get("task_id").asText()).isEqualTo(failed);
        // the API's rules hold: a started task is not retried
        var refused = operator.htmxPost("/ui/tasks/" + started + "/retry", Map.of());
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body()).contains("role=\"alert\"");
        assertThat(operator.htmxPost("/ui/tasks/" + started + "/cancel", Map.of()).status()).isEqualTo(200);

        var pause = operator.htmxPost("/ui/agents/" + id + "/schedules/pause",
                Map.of("schedule", "ui-buttons-nightly"));
        assertThat(pause.status()).as(pause.body()).isEqualTo(200);
        String pauseId = java.util.regex.Pattern.compile("data-command=\"([0-9a-f-]{36})\"").matcher(pause.body())
                .results().findFirst().orElseThrow().group(1);
        var paused = admin.get("/v1/commands/" + pauseId).json();
        assertThat(paused.get("type").asText()).isEqualTo("pause_schedule");
        assertThat(paused.get("target").asText()).isEqualTo("ui-buttons-nightly");
        assertThat(operator.htmxPost("/ui/agents/" + id + "/schedules/resume", Map.of("schedule", "no-such"))
                .status()).isEqualTo(404);
    }

    @Test
    void usageRecordedOnARunAppearsOnTheUsagePageWithTheBudget() {
        assertThat(admin.post("/v1/jobs", Map.of("slug", "ui-summarize", "queue", "ui-llm")).status()).isEqualTo(201);
        String run = trigger("ui-summarize", Map.of());
        var claimed = admin.post("/v1/worker/claim", Map.of("worker_id", "w-llm", "queues", List.of("ui-llm")));
        assertThat(claimed.text()).contains(run);
        var recorded = admin.post("/v1/runs/" + run + "/usage", Map.of("worker_id", "w-llm", "provider", "openai",
                "model", "ui-test-model-1", "input_tokens", 1234567, "output_tokens", 890, "cost_microusd", 123456));
        assertThat(recorded.status()).as(recorded.text()).isEqualTo(201);
        var budget = admin.send("PUT", "/v1/budgets", Map.of("daily_microusd", 5_000_000,
                "monthly_microusd", 100_000_000, "action", "notify"));
        assertThat(budget.status()).as(budget.text()).isEqualTo(200);

        var page = viewer.get("/ui/usage");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("<h1>Usage</h1>").contains("href=\"/ui/jobs/ui-summarize\"")
                .contains("ui-test-model-1").contains("1,234,567").contains("$0.123456")
                .contains("of $5.00").contains("of $100.00").contains("notify")
                .contains(java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString());
        assertThat(admin.send("PUT", "/v1/budgets", Map.of()).status()).isEqualTo(200);
        assertThat(viewer.get("/ui/usage").body()).contains("No budget is set");
    }
}
