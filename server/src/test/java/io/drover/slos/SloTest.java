package io.drover.slos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SLOs over the API, evaluated by the singleton pass on a clock the test moves. Runs are real
 * (triggered, claimed, completed or failed) and reach job_hourly through the rollup; run events
 * carry the database's time, so they land in the real hour and the test moves the clock past them
 * to age them out of a window. Older history is a job_hourly row written for a past hour.
 */
class SloTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"), clock);
        server.server().sloEvaluator().stop(); // the test runs the passes itself, after moving the clock
        api = new Api(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void realTime() {
        clock.reset();
    }

    // --- helpers -------------------------------------------------------------------------------

    static String job(String slug) {
        Api.Answer a = api.post("/v1/jobs", Map.of("slug", slug, "queue", slug));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json().get("id").asText();
    }

    static JsonNode slo(String job, Map<String, Object> body) {
        Api.Answer a = api.post("/v1/jobs/" + job + "/slos", body);
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json();
    }

    static JsonNode get(String sloId) {
        Api.Answer a = api.get("/v1/slos/" + sloId);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        return a.json();
    }

    /** Runs {@code ok} runs to completion and {@code bad} to failure; {@code slowMs} > 0: the first {@code slow} took that long. */
    static void runs(String slug, int ok, int bad, int slow, long slowMs) {
        int n = ok + bad;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Api.Answer t = api.post("/v1/jobs/" + slug + "/trigger", Map.of());
            assertThat(t.status()).as(t.text()).isEqualTo(201);
            ids.add(t.json().get("id").asText());
        }
        Api.Answer claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of(slug), "max", n,
                "wait_ms", 0, "lease_ms", 600_000));
        assertThat(claimed.json().get("data")).hasSize(n);
        if (slow > 0) {
            server.db().tx(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE runs SET started_at = started_at - make_interval(secs => ?) WHERE id = ?::uuid")) {
                    for (String id : ids.subList(0, slow)) {
                        ps.setDouble(1, slowMs / 1000.0);
                        ps.setString(2, id);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return null;
            });
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> r = new HashMap<>();
            r.put("run_id", ids.get(i));
            if (i >= ok) {
                r.put("error", Map.of("message", "boom"));
                r.put("retryable", false);
            } else {
                r.put("result", i);
            }
            results.add(r);
        }
        Api.Answer done = api.post("/v1/worker/complete", Map.of("worker_id", "w", "results", results));
        assertThat(done.status()).as(done.text()).isEqualTo(200);
        Await.until("the rollup to count the runs of " + slug, Duration.ofSeconds(30), () -> {
            server.server().runRollups().runOnce();
            return count("SELECT count(*) FROM runs WHERE job_slug = ? AND finished_at IS NOT NULL", slug)
                    == count("SELECT coalesce(sum(h.runs), 0) FROM job_hourly h JOIN jobs j ON j.id = h.job_id "
                            + "WHERE j.slug = ? AND j.deleted_at IS NULL AND h.hour > now() - interval '3 hours'", slug);
        });
    }

    /** History: a job_hourly row {@code hoursAgo} before the current real hour with {@code completed} good runs. */
    static void history(String jobId, int hoursAgo, long completed) {
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(hoursAgo));
        server.db().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO job_hourly (project_id, job_id, hour, runs, completed)
                    SELECT project_id, id, ?, ?, ? FROM jobs WHERE id = ?::uuid""")) {
                ps.setTimestamp(1, Timestamp.from(hour));
                ps.setLong(2, completed);
                ps.setLong(3, completed);
                ps.setString(4, jobId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    static long count(String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    static List<JsonNode> events(String sloId) {
        return server.db().read(c -> {
            List<JsonNode> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT type, data::text, occurred_at FROM log_events "
                    + "WHERE type LIKE 'slo.%' AND data ->> 'slo_id' = ? ORDER BY seq")) {
                ps.setString(1, sloId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        var n = io.drover.http.Json.object();
                        n.put("type", rs.getString(1));
                        n.set("data", io.drover.http.Json.read(rs.getString(2)));
                        n.put("occurred_at", rs.getTimestamp(3).toInstant().toString());
                        out.add(n);
                    }
                }
            }
            return out;
        });
    }

    static List<String> types(String sloId) {
        return events(sloId).stream().map(e -> e.get("type").asText()).toList();
    }

    static void pass() {
        assertThat(server.server().sloEvaluator().pass()).isGreaterThan(0);
    }

    // --- tests ---------------------------------------------------------------------------------

    @Test
    void createListGetAndDeleteThroughTheApi() {
        String jobId = job("slo-crud");
        JsonNode a = slo("slo-crud", Map.of("name", "availability", "metric", "success_rate", "target", 0.995,
                "window_days", 7));
        assertThat(a.get("job").asText()).isEqualTo("slo-crud");
        assertThat(a.get("job_id").asText()).isEqualTo(jobId);
        assertThat(a.get("metric").asText()).isEqualTo("success_rate");
        assertThat(a.get("target").asDouble()).isEqualTo(0.995);
        assertThat(a.get("window_days").asInt()).isEqualTo(7);
        assertThat(a.get("status").asText()).isEqualTo("ok");
        assertThat(a.get("current_value").isNull()).as("no runs yet").isTrue();
        assertThat(a.get("budget_remaining").asDouble()).isEqualTo(1.0);
        assertThat(a.get("burn_rate_1h").asDouble()).isZero();
        assertThat(a.get("burn_rate_6h").asDouble()).isZero();
        assertThat(a.get("evaluated_at").isNull()).as("evaluated when created").isFalse();
        JsonNode b = slo("slo-crud", Map.of("name", "latency", "metric", "duration_p99_ms", "target", 2500));
        assertThat(b.get("window_days").asInt()).as("the default window").isEqualTo(30);

        Api.Answer dup = api.post("/v1/jobs/slo-crud/slos", Map.of("name", "latency", "metric", "success_rate",
                "target", 0.9));
        assertThat(dup.status()).as(dup.text()).isEqualTo(409);
        assertThat(dup.errorCode()).isEqualTo("name_taken");

        assertThat(get(a.get("id").asText())).isEqualTo(a);
        JsonNode page1 = api.get("/v1/slos?job=slo-crud&limit=1").json();
        assertThat(page1.get("data")).hasSize(1);
        assertThat(page1.get("data").get(0).get("id").asText()).as("newest first").isEqualTo(b.get("id").asText());
        JsonNode page2 = api.get("/v1/slos?job=slo-crud&limit=1&cursor=" + page1.get("next_cursor").asText()).json();
        assertThat(page2.get("data").get(0).get("id").asText()).isEqualTo(a.get("id").asText());
        assertThat(page2.get("next_cursor").isNull()).isTrue();
        assertThat(api.get("/v1/slos").json().get("data").findValuesAsText("id"))
                .contains(a.get("id").asText(), b.get("id").asText());

        JsonNode history = api.get("/v1/slos/" + a.get("id").asText() + "/evaluations").json();
        assertThat(history.get("data")).hasSize(1);
        assertThat(history.get("data").get(0).get("status").asText()).isEqualTo("ok");

        Api.Answer del = api.delete("/v1/slos/" + a.get("id").asText());
        assertThat(del.status()).as(del.text()).isEqualTo(200);
        assertThat(api.get("/v1/slos/" + a.get("id").asText()).status()).isEqualTo(404);
        assertThat(api.delete("/v1/slos/" + a.get("id").asText()).status()).isEqualTo(404);
        assertThat(api.get("/v1/slos/" + a.get("id").asText() + "/evaluations").status()).isEqualTo(404);
        assertThat(count("SELECT count(*) FROM slo_evaluations WHERE slo_id = ?::uuid", a.get("id").asText()))
                .as("the history goes with its SLO").isZero();

        assertThat(count("SELECT count(*) FROM audit_log WHERE action IN ('slo.create', 'slo.delete') "
                + "AND target_id = ?", a.get("id").asText())).as("audited").isEqualTo(2);

        // deleting the job deletes its SLOs
        assertThat(api.delete("/v1/jobs/slo-crud").status()).isEqualTo(200);
        assertThat(api.get("/v1/slos/" + b.get("id").asText()).status()).isEqualTo(404);
        assertThat(count("SELECT count(*) FROM slos WHERE job_id = ?::uuid", jobId)).isZero();
    }

    @Test
    void burnAlertsFireOnceAtTheirTimeThenBreachedAndRecovered() {
        String jobId = job("slo-burn");
        // a day's window with a 1% error budget; 2000 good runs 12 hours ago
        history(jobId, 12, 2000);
        JsonNode s = slo("slo-burn", Map.of("name", "avail", "metric", "success_rate", "target", 0.99,
                "window_days", 1));
        String id = s.get("id").asText();
        assertThat(s.get("status").asText()).isEqualTo("ok");
        assertThat(s.get("current_value").asDouble()).isEqualTo(1.0);
        assertThat(types(id)).isEmpty();

        // a fifth of the last hour's runs fail: burning 20x in 1 h and 6 h, the day's budget mostly left
        runs("slo-burn", 80, 20, 0, 0);
        pass();
        JsonNode w = get(id);
        assertThat(w.get("status").asText()).isEqualTo("warning");
        assertThat(w.get("burn_rate_1h").asDouble()).isCloseTo(20, within(1e-6));
        assertThat(w.get("burn_rate_6h").asDouble()).isCloseTo(20, within(1e-6));
        assertThat(w.get("budget_remaining").asDouble()).isCloseTo(1 - (20.0 / 2100) / 0.01, within(1e-6));
        assertThat(w.get("current_value").asDouble()).isCloseTo(2080.0 / 2100, within(1e-6));
        assertThat(types(id)).containsExactly("slo.burn_rate_high");
        JsonNode data = events(id).get(0).get("data");
        assertThat(data.get("slo_id").asText()).isEqualTo(id);
        assertThat(data.get("job").asText()).isEqualTo("slo-burn");
        assertThat(data.get("metric").asText()).isEqualTo("success_rate");
        assertThat(data.get("target").asDouble()).isEqualTo(0.99);
        for (String f : List.of("current_value", "budget_remaining", "burn_rate_1h", "burn_rate_6h")) {
            assertThat(data.get(f).asDouble()).as(f).isEqualTo(w.get(f).asDouble());
        }
        assertThat(Instant.parse(events(id).get(0).get("occurred_at").asText()))
                .isCloseTo(clock.instant(), within(1, ChronoUnit.MILLIS));

        pass();
        pass();
        assertThat(types(id)).as("once per change, not once per pass").containsExactly("slo.burn_rate_high");

        // two hours on, the failures left the 1 h window: the 6 h rate alone is not confirmed
        clock.advance(Duration.ofHours(2));
        pass();
        JsonNode later = get(id);
        assertThat(later.get("burn_rate_1h").asDouble()).isZero();
        assertThat(later.get("burn_rate_6h").asDouble()).isCloseTo(20, within(1e-6));
        assertThat(later.get("status").asText()).isEqualTo("ok");
        assertThat(types(id)).containsExactly("slo.burn_rate_high", "slo.recovered");

        // back to now, five more failures spend the day's budget
        clock.reset();
        runs("slo-burn", 0, 5, 0, 0);
        pass();
        JsonNode b = get(id);
        assertThat(b.get("status").asText()).isEqualTo("breached");
        assertThat(b.get("budget_remaining").asDouble()).isCloseTo(1 - (25.0 / 2105) / 0.01, within(1e-6))
                .isNegative();
        pass();
        assertThat(types(id)).containsExactly("slo.burn_rate_high", "slo.recovered", "slo.breached");

        // a day later every bad run has left the window
        clock.advance(Duration.ofHours(25));
        pass();
        JsonNode r = get(id);
        assertThat(r.get("status").asText()).isEqualTo("ok");
        assertThat(r.get("budget_remaining").asDouble()).isEqualTo(1.0);
        assertThat(r.get("current_value").isNull()).isTrue();
        assertThat(types(id)).containsExactly("slo.burn_rate_high", "slo.recovered", "slo.breached", "slo.recovered");

        // the history: every change and the first evaluation of each hour, newest first, paginated
        List<String> statuses = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/slos/" + id + "/evaluations?limit=3"
                    + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("data").forEach(e -> statuses.add(e.get("status").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        // (the passes that changed nothing within their hour are not kept)
        assertThat(statuses).containsExactly("ok", "breached", "ok", "warning", "ok");
    }

    @Test
    void aDurationObjectiveCountsRunsSlowerThanTheTarget() {
        job("slo-slow");
        JsonNode s = slo("slo-slow", Map.of("name", "p95 under 1s", "metric", "duration_p95_ms", "target", 1000,
                "window_days", 1));
        String id = s.get("id").asText();
        // 1 of 40 runs slower than 1 s: 2.5% of a 5% allowance
        runs("slo-slow", 40, 0, 1, 5000);
        pass();
        JsonNode ok = get(id);
        assertThat(ok.get("status").asText()).isEqualTo("ok");
        assertThat(ok.get("budget_remaining").asDouble()).isCloseTo(0.5, within(1e-6));
        assertThat(ok.get("burn_rate_1h").asDouble()).isCloseTo(0.5, within(1e-6));
        assertThat(ok.get("current_value").asDouble()).as("p95 of fast runs").isLessThan(1000);

        // 4 more of 10 slow: 5 of 50 = 10%, twice the allowance
        runs("slo-slow", 10, 0, 4, 5000);
        pass();
        JsonNode bad = get(id);
        assertThat(bad.get("status").asText()).isEqualTo("breached");
        assertThat(bad.get("budget_remaining").asDouble()).isCloseTo(-1, within(1e-6));
        assertThat(bad.get("current_value").asDouble()).as("p95 is a slow run").isCloseTo(5000, within(250.0));
        assertThat(types(id)).containsExactly("slo.breached");
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        job("slo-bad");
        long before = count("SELECT count(*) FROM slos");
        Object[][] cases = {
            {Map.of("metric", "success_rate", "target", 0.9), 422, "validation_failed", "name"},
            {Map.of("name", "x", "target", 0.9), 422, "validation_failed", "metric"},
            {Map.of("name", "x", "metric", "p50", "target", 0.9), 422, "validation_failed", "metric"},
            {Map.of("name", "x", "metric", "success_rate"), 422, "validation_failed", "target"},
            {Map.of("name", "x", "metric", "success_rate", "target", "0.9"), 400, "invalid_type", "target"},
            {Map.of("name", "x", "metric", "success_rate", "target", 1), 422, "validation_failed", "target"},
            {Map.of("name", "x", "metric", "success_rate", "target", 99.9), 422, "validation_failed", "target"},
            {Map.of("name", "x", "metric", "duration_p95_ms", "target", 0), 422, "validation_failed", "target"},
            {Map.of("name", "x", "metric", "success_rate", "target", 0.9, "window_days", 0), 422,
                "validation_failed", "window_days"},
            {Map.of("name", "x", "metric", "success_rate", "target", 0.9, "window_days", 91), 422,
                "validation_failed", "window_days"},
            {Map.of("name", "x", "metric", "success_rate", "target", 0.9, "labels", 1), 422, "unknown_field",
                "labels"},
        };
        for (Object[] c : cases) {
            Api.Answer a = api.post("/v1/jobs/slo-bad/slos", c[0]);
            assertThat(a.status()).as(a.text()).isEqualTo(c[1]);
            assertThat(a.errorCode()).as(a.text()).isEqualTo(c[2]);
            assertThat(a.json().get("error").get("details").get("field").asText()).as(a.text()).isEqualTo(c[3]);
        }
        assertThat(api.post("/v1/jobs/nope/slos", Map.of("name", "x", "metric", "success_rate", "target", 0.9))
                .status()).isEqualTo(404);
        assertThat(api.get("/v1/slos/" + UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(api.get("/v1/slos?job=nope").status()).isEqualTo(404);
        assertThat(count("SELECT count(*) FROM slos")).isEqualTo(before);
    }

    @Test
    void theRetentionPassPrunesOldEvaluationsAndKeepsTheSlo() {
        String jobId = job("slo-ret");
        String id = slo("slo-ret", Map.of("name", "avail", "metric", "success_rate", "target", 0.9)).get("id").asText();
        pass(); // the same hour, nothing changed: no history row
        clock.advance(Duration.ofHours(1));
        pass(); // the first pass of the next hour: a row
        clock.advance(Duration.ofHours(1));
        pass();
        UUID project = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT project_id FROM jobs WHERE id = ?::uuid")) {
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getObject(1, UUID.class);
                }
            }
        });
        server.db().read(c -> c.createStatement().executeUpdate("""
                UPDATE projects SET settings = settings || '{"retention_days": 7}' WHERE id = '%1$s';
                UPDATE slo_evaluations SET evaluated_at = now() - interval '8 days'
                WHERE id = (SELECT id FROM slo_evaluations WHERE slo_id = '%2$s' ORDER BY id LIMIT 1)""".formatted(project, id)));
        try {
            Map<String, Long> deleted = server.server().retention().runProject(project);
            assertThat(deleted.get("slo_evaluations")).isEqualTo(1);
            assertThat(api.get("/v1/slos/" + id + "/evaluations").json().get("data")).hasSize(2);
            assertThat(get(id).get("status").asText()).isEqualTo("ok");
        } finally {
            server.db().read(c -> c.createStatement().executeUpdate(
                    "UPDATE projects SET settings = settings - 'retention_days' WHERE id = '" + project + "'"));
        }
    }

    @Test
    void onlyOneNodeEvaluatesAtATime() {
        // another node holds the pass's lock: this one skips the pass and changes nothing
        Integer skipped = server.db().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                ps.setLong(1, SloEvaluator.LOCK_KEY);
                ps.executeQuery().close();
            }
            return server.server().sloEvaluator().pass();
        });
        assertThat(skipped).isEqualTo(-1);
    }
}
