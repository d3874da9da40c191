package io.drover.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.Keys;
import io.drover.identity.ApiKeys;
import io.drover.store.DbException;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention against the real database on a clock the test moves: runs of every state, workflow
 * runs and schedule ticks are backdated in SQL, and one pass (the POST for one project, or the
 * hourly pass's {@code runOnce}) must remove exactly the finished ones older than the window with
 * everything hanging off them, nothing of another project, and leave the audit chain verifiable.
 */
class RetentionTest {
    static final TestClock clock = new TestClock();
    static final String[] ALL = {"delayed", "queued", "dequeued", "executing", "waiting", "completed", "failed",
        "timed_out", "crashed", "system_failed", "canceled", "expired", "dead_letter"};
    static final List<String> FINISHED = List.of("completed", "failed", "timed_out", "crashed", "system_failed",
            "canceled", "expired");
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_REAPER_INTERVAL_MS", "3600000", "DROVER_POLL_INTERVAL_MS",
                "3600000", "DROVER_PUSH_ENABLED", "false"), clock);
        server.server().retention().stop(); // the test runs the passes itself
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

    record Project(UUID id, Api owner, Api admin) {}

    /** A new project with an owner key and an admin key, made directly in the database. */
    static Project project(String slug, String settings) {
        ApiKeys keys = new ApiKeys(server.db(), Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)));
        UUID id = UuidV7.next();
        String owner = "retention-" + slug + "-owner-0123456789";
        String admin = "retention-" + slug + "-admin-0123456789";
        server.db().tx(c -> {
            exec(c, "INSERT INTO projects (id, slug, name, settings) VALUES (?, ?, ?, ?::jsonb)", id, slug, slug,
                    settings);
            for (String[] k : new String[][] {{owner, "owner"}, {admin, "admin"}}) {
                exec(c, """
                        INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role)
                        VALUES (?, ?, 'test', ?, ?, ?)""", UuidV7.next(), id, k[0].substring(0, 8), keys.hash(k[0]),
                        k[1]);
            }
            return null;
        });
        return new Project(id, new Api(server.baseUrl(), owner), new Api(server.baseUrl(), admin));
    }

    /** One run of each state, finished (or created) {@code age} ago, with two events each; their ids by state. */
    static Map<String, UUID> runs(UUID project, Duration age, UUID workflowRun) {
        Map<String, UUID> out = new java.util.LinkedHashMap<>();
        Instant at = clock.instant().minus(age);
        server.db().tx(c -> {
            for (String s : ALL) {
                UUID id = UuidV7.next();
                boolean finished = FINISHED.contains(s) || s.equals("dead_letter");
                boolean leased = s.equals("executing") || s.equals("dequeued");
                exec(c, """
                        INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                          max_attempts, scheduled_at, created_at, finished_at, lease_expires_at,
                                          workflow_run_id)
                        VALUES (?, ?, ?, 'j', 1, 'q', 'worker', ?::run_status, 3, ?, ?, ?, ?, ?)""",
                        id, project, UUID.randomUUID(), s, ts(at), ts(at), finished ? ts(at) : null,
                        leased ? ts(at) : null, workflowRun);
                for (int i = 0; i < 2; i++) {
                    exec(c, "INSERT INTO run_events (project_id, run_id, type, attempt, created_at) VALUES (?, ?, 'x', 1, ?)",
                            project, id, ts(at));
                }
                out.put(s, id);
            }
            return null;
        });
        return out;
    }

    /** A workflow run of {@code status} finished {@code age} ago, with two steps and a decision. */
    static UUID workflowRun(UUID project, String status, Duration age, UUID parent) {
        UUID id = UuidV7.next();
        Instant at = clock.instant().minus(age);
        boolean finished = List.of("completed", "failed", "canceled").contains(status);
        server.db().tx(c -> {
            UUID wf = UuidV7.next();
            exec(c, "INSERT INTO workflows (id, project_id, slug) VALUES (?, ?, ?)", wf, project, "wf-" + wf);
            exec(c, """
                    INSERT INTO workflow_runs (id, project_id, workflow_id, workflow_slug, version, status, steps_left,
                                               parent_run_id, created_at, finished_at)
                    VALUES (?, ?, ?, 'wf', 1, ?, 0, ?, ?, ?)""", id, project, wf, status, parent, ts(at),
                    finished ? ts(at) : null);
            for (String step : List.of("a", "b")) {
                exec(c, """
                        INSERT INTO workflow_step_runs (workflow_run_id, step_id, project_id, type, status, deps_total)
                        VALUES (?, ?, ?, 'job', 'completed', 0)""", id, step, project);
            }
            exec(c, """
                    INSERT INTO workflow_step_decisions (project_id, workflow_run_id, step_id, decision, message)
                    VALUES (?, ?, 'a', 'ready', 'm')""", project, id);
            return null;
        });
        return id;
    }

    static long count(String sql, Object... args) {
        return server.db().read(c -> {
            try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    static boolean runExists(UUID id) {
        return count("SELECT count(*) FROM runs WHERE id = ?", id) == 1;
    }

    @Test
    void removesExactlyTheOldFinishedRunsOfTheCallersProjectWithEverythingHangingOffThem() {
        Project a = project("ret-a", "{\"retention_days\": 30}");
        Project b = project("ret-b", "{\"retention_days\": 30}");
        Map<String, UUID> oldA = runs(a.id(), Duration.ofDays(40), null);
        Map<String, UUID> recentA = runs(a.id(), Duration.ofDays(20), null);
        Map<String, UUID> oldB = runs(b.id(), Duration.ofDays(40), null);
        UUID doneWf = workflowRun(a.id(), "completed", Duration.ofDays(40), null);
        Map<String, UUID> doneWfRuns = runs(a.id(), Duration.ofDays(40), doneWf);
        UUID runningWf = workflowRun(a.id(), "running", Duration.ofDays(40), null);
        Map<String, UUID> runningWfRuns = runs(a.id(), Duration.ofDays(40), runningWf);
        UUID childOfRunning = workflowRun(a.id(), "completed", Duration.ofDays(40), runningWf);
        UUID recentWf = workflowRun(a.id(), "failed", Duration.ofDays(5), null);
        // A finished workflow run all of whose job runs are finished; its child goes with it.
        UUID cleanWf = workflowRun(a.id(), "canceled", Duration.ofDays(40), null);
        UUID cleanRun = runs(a.id(), Duration.ofDays(40), cleanWf).get("completed");
        server.db().tx(c -> {
            exec(c, """
                    DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE workflow_run_id = ? AND id <> ?)""",
                    cleanWf, cleanRun);
            exec(c, "DELETE FROM run_list WHERE id IN (SELECT id FROM runs WHERE workflow_run_id = ? AND id <> ?)",
                    cleanWf, cleanRun);
            return exec(c, "DELETE FROM runs WHERE workflow_run_id = ? AND id <> ?", cleanWf, cleanRun);
        });
        UUID childOfClean = workflowRun(a.id(), "completed", Duration.ofDays(40), cleanWf);
        long eventsB = count("SELECT count(*) FROM run_events WHERE project_id = ?", b.id());

        Api.Answer r = a.owner().post("/v1/maintenance/retention", Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode deleted = r.json().get("deleted");
        assertThat(deleted.has("run_events_partitions")).as("partitions dropped are counted: " + deleted).isTrue();

        for (String s : ALL) {
            boolean gone = FINISHED.contains(s);
            assertThat(runExists(oldA.get(s))).as("old %s run of the caller's project kept", s).isEqualTo(!gone);
            assertThat(runExists(recentA.get(s))).as("recent %s run kept", s).isTrue();
            assertThat(runExists(oldB.get(s))).as("old %s run of another project kept", s).isTrue();
            // A workflow run with unfinished runs (a dead letter, a queued one) is not done with: all kept.
            assertThat(runExists(doneWfRuns.get(s))).as("%s run of a workflow with a dead letter", s).isTrue();
            assertThat(runExists(runningWfRuns.get(s))).as("%s run of a running workflow", s).isTrue();
        }
        assertThat(runExists(cleanRun)).isFalse();
        assertThat(count("SELECT count(*) FROM workflow_runs WHERE id = ANY(?)",
                (Object) new UUID[] {cleanWf, childOfClean})).isZero();
        assertThat(count("SELECT count(*) FROM workflow_runs WHERE id = ANY(?)",
                (Object) new UUID[] {doneWf, runningWf, childOfRunning, recentWf})).isEqualTo(4);
        assertThat(count("SELECT count(*) FROM workflow_step_runs WHERE workflow_run_id = ANY(?)",
                (Object) new UUID[] {cleanWf, childOfClean})).isZero();
        assertThat(count("SELECT count(*) FROM workflow_step_decisions WHERE workflow_run_id = ANY(?)",
                (Object) new UUID[] {cleanWf, childOfClean})).isZero();
        assertThat(count("SELECT count(*) FROM workflow_step_runs WHERE workflow_run_id = ?", doneWf)).isEqualTo(2);

        // Nothing hangs off a removed run any more; another project's history is whole.
        assertThat(count("SELECT count(*) FROM run_events e WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = e.run_id)"))
                .isZero();
        assertThat(count("SELECT count(*) FROM run_list l WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = l.id)"))
                .isZero();
        assertThat(count("SELECT count(*) FROM run_events WHERE project_id = ?", b.id())).isEqualTo(eventsB);

        // The answer counts what went: 7 plain runs and the workflow's one run, 2 events each.
        assertThat(deleted.get("runs").asLong()).isEqualTo(8);
        assertThat(deleted.get("run_events").asLong()).isEqualTo(16);
        assertThat(deleted.get("run_list").asLong()).isEqualTo(8);
        assertThat(deleted.get("workflow_runs").asLong()).isEqualTo(2);
        assertThat(deleted.get("workflow_step_runs").asLong()).isEqualTo(4);
        assertThat(count("SELECT count(*) FROM audit_log WHERE project_id = ? AND action = 'retention.run'", a.id()))
                .isEqualTo(1);

        // A second pass finds nothing more; the hourly pass then applies project B's window too.
        assertThat(a.owner().post("/v1/maintenance/retention", Map.of()).json().get("deleted").get("runs").asLong())
                .isZero();
        runOnce();
        for (String s : ALL) {
            assertThat(runExists(oldB.get(s))).as("old %s run of project B after the hourly pass", s)
                    .isEqualTo(!FINISHED.contains(s));
        }
    }

    @Test
    void aProjectWithoutRetentionDaysKeepsEverything() {
        Project p = project("ret-forever", "{}");
        Map<String, UUID> old = runs(p.id(), Duration.ofDays(4000), null);
        assertThat(p.owner().post("/v1/maintenance/retention", Map.of()).status()).isEqualTo(200);
        runOnce();
        old.values().forEach(id -> assertThat(runExists(id)).isTrue());
    }

    @Test
    void theClockDecidesWhatIsOld() {
        Project p = project("ret-clock", "{\"retention_days\": 30}");
        Map<String, UUID> recent = runs(p.id(), Duration.ofDays(20), null);
        p.owner().post("/v1/maintenance/retention", Map.of());
        assertThat(runExists(recent.get("completed"))).isTrue();
        clock.advance(Duration.ofDays(11));
        p.owner().post("/v1/maintenance/retention", Map.of());
        assertThat(runExists(recent.get("completed"))).isFalse();
        assertThat(runExists(recent.get("queued"))).isTrue();
    }

    @Test
    void scheduleTicksOlderThanTheWindowGo() {
        Project p = project("ret-ticks", "{\"retention_days\": 30}");
        UUID schedule = UuidV7.next();
        server.db().tx(c -> {
            UUID job = UuidV7.next();
            exec(c, """
                    INSERT INTO jobs (id, project_id, slug, spec, queue, execution)
                    VALUES (?, ?, 'ticking', '{}'::jsonb, 'q', 'worker')""", job, p.id());
            exec(c, "INSERT INTO schedules (id, project_id, job_id, kind, interval_secs) VALUES (?, ?, ?, 'interval', 60)",
                    schedule, p.id(), job);
            for (int days : new int[] {45, 31, 29, 1}) {
                exec(c, "INSERT INTO schedule_ticks (schedule_id, fire_at, outcome) VALUES (?, ?, 'fired')", schedule,
                        ts(clock.instant().minus(Duration.ofDays(days))));
            }
            return null;
        });
        JsonNode deleted = p.owner().post("/v1/maintenance/retention", Map.of()).json().get("deleted");
        assertThat(deleted.get("schedule_ticks").asLong()).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM schedule_ticks WHERE schedule_id = ?", schedule)).isEqualTo(2);
    }

    @Test
    void auditPruningMovesTheSignedAnchorAndVerifyStillWorks() {
        Project p = project("ret-audit", "{}");
        for (int i = 0; i < 5; i++) {
            assertThat(p.admin().post("/v1/jobs", Map.of("slug", "old-" + i)).status()).isEqualTo(201);
        }
        clock.reset(); // the rows so far are older than this instant
        Instant boundary = clock.instant();
        awaitDbPast(boundary);
        for (int i = 0; i < 3; i++) {
            assertThat(p.admin().post("/v1/jobs", Map.of("slug", "new-" + i)).status()).isEqualTo(201);
        }
        var set = p.admin().patch("/v1/projects/" + p.id(), Map.of("settings", Map.of("audit_retention_days", 1)));
        assertThat(set.status()).as(set.text()).isEqualTo(200);
        long before = count("SELECT count(*) FROM audit_log WHERE project_id = ?", p.id());
        assertThat(verify(p).get("ok").asBoolean()).isTrue();

        clock.advance(Duration.ofDays(1)); // the window's start is now the boundary
        JsonNode deleted = p.owner().post("/v1/maintenance/retention", Map.of()).json().get("deleted");
        assertThat(deleted.get("audit_log").asLong()).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM audit_log WHERE project_id = ? AND ts < ?", p.id(), ts(boundary)))
                .as("only the rows before the window's start are gone").isZero();
        assertThat(count("SELECT count(*) FROM audit_log WHERE project_id = ?", p.id()))
                .isEqualTo(before - 5 + 1); // and the POST's own row was added
        JsonNode v = verify(p);
        assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
        assertThat(v.get("first_seq").asLong()).isEqualTo(6);

        // A row the head still covers cannot be deleted, even in SQL.
        assertThatThrownBy(() -> server.db().tx(c -> exec(c, "DELETE FROM audit_log WHERE project_id = ?", p.id())))
                .isInstanceOf(DbException.class).hasMessageContaining("append-only");

        // Tampering after the prune is still found: the oldest kept row edited.
        server.db().tx(c -> {
            exec(c, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
            exec(c, """
                    UPDATE audit_log SET details = '{"slug": "forged"}'::jsonb
                    WHERE project_id = ? AND chain_seq = 6""", p.id());
            exec(c, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
            return null;
        });
        v = verify(p);
        assertThat(v.get("ok").asBoolean()).isFalse();
        assertThat(v.get("problem").asText()).isEqualTo("row_changed");
        // ... and a later prune does not prune it away (it stops at the break).
        clock.advance(Duration.ofDays(30));
        p.owner().post("/v1/maintenance/retention", Map.of());
        assertThat(verify(p).get("problem").asText()).isEqualTo("row_changed");
    }

    @Test
    void onlyAnOwnerRunsIt() {
        Project p = project("ret-roles", "{\"retention_days\": 30}");
        Map<String, UUID> old = runs(p.id(), Duration.ofDays(40), null);
        Api.Answer r = p.admin().post("/v1/maintenance/retention", Map.of());
        assertThat(r.status()).isEqualTo(403);
        assertThat(runExists(old.get("completed"))).isTrue();
        // It takes no parameters: an owner's unknown field is refused, and nothing is removed.
        r = p.owner().post("/v1/maintenance/retention", Map.of("days", 1));
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.errorCode()).isEqualTo("unknown_field");
        assertThat(runExists(old.get("completed"))).isTrue();
    }

    @Test
    void auditRetentionDaysIsValidated() {
        Project p = project("ret-valid", "{}");
        for (Object bad : new Object[] {0, -1, "forever", 1.5}) {
            Api.Answer r = p.admin().patch("/v1/projects/" + p.id(),
                    Map.of("settings", Map.of("audit_retention_days", bad)));
            assertThat(r.status()).as("%s: %s", bad, r.text()).isBetween(400, 422);
            assertThat(r.errorCode()).isNotNull();
        }
        assertThat(count("SELECT count(*) FROM projects WHERE id = ? AND settings -> 'audit_retention_days' IS NOT NULL", p.id()))
                .isZero();
    }

    @Test
    void housekeepingRemovesSpentSessionsInvitationsAndResets() {
        Project p = project("ret-house", "{}");
        UUID user = UuidV7.next();
        Instant now = clock.instant();
        List<UUID> live = new ArrayList<>();
        List<UUID> spent = new ArrayList<>();
        server.db().tx(c -> {
            exec(c, "INSERT INTO users (id, email, password_hash) VALUES (?, ?, 'x')", user, user + "@example.com");
            for (boolean expired : new boolean[] {true, false}) {
                UUID s = UuidV7.next();
                exec(c, "INSERT INTO sessions (id, token_hash, user_id, expires_at) VALUES (?, ?, ?, ?)", s,
                        s.toString().getBytes(), user, ts(now.plus(Duration.ofHours(expired ? -1 : 1))));
                (expired ? spent : live).add(s);
                UUID r = UuidV7.next();
                exec(c, "INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES (?, ?, ?, ?)", r,
                        user, r.toString().getBytes(), ts(now.plus(Duration.ofMinutes(expired ? -1 : 30))));
                (expired ? spent : live).add(r);
                UUID i = UuidV7.next();
                exec(c, """
                        INSERT INTO invitations (id, project_id, email, role, token_hash, expires_at)
                        VALUES (?, ?, 'x@example.com', 'viewer', ?, ?)""", i, p.id(), i.toString().getBytes(),
                        ts(now.plus(Duration.ofHours(expired ? -1 : 1))));
                (expired ? spent : live).add(i);
            }
            UUID used = UuidV7.next();
            exec(c, """
                    INSERT INTO password_resets (id, user_id, token_hash, expires_at, used_at)
                    VALUES (?, ?, ?, ?, ?)""", used, user, used.toString().getBytes(),
                    ts(now.plus(Duration.ofMinutes(30))), ts(now));
            spent.add(used);
            return null;
        });
        String any = "SELECT (SELECT count(*) FROM sessions WHERE id = ANY(?)) + (SELECT count(*) FROM "
                + "password_resets WHERE id = ANY(?)) + (SELECT count(*) FROM invitations WHERE id = ANY(?))";
        runOnce();
        UUID[] s = spent.toArray(UUID[]::new);
        UUID[] l = live.toArray(UUID[]::new);
        assertThat(count(any, s, s, s)).isZero();
        assertThat(count(any, l, l, l)).isEqualTo(3);
        clock.advance(Duration.ofHours(2)); // now the live ones have expired too
        runOnce();
        assertThat(count(any, l, l, l)).isZero();
    }

    /** One pass of ours: while the node's own pass holds the singleton lock, runHourly answers null. */
    static void runOnce() {
        io.drover.testing.Await.until("a retention pass of ours", Duration.ofSeconds(30), () -> {
            try {
                return server.server().retention().runHourly() != null;
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static JsonNode verify(Project p) {
        Api.Answer v = p.admin().get("/v1/audit-events/verify");
        assertThat(v.status()).as(v.text()).isEqualTo(200);
        return v.json();
    }

    /** Waits until the database's clock (which stamps audit rows) is past {@code t}. */
    static void awaitDbPast(Instant t) {
        io.drover.testing.Await.until("the database clock past " + t, Duration.ofSeconds(5), () -> count("SELECT count(*) WHERE clock_timestamp() > ?", ts(t)) == 1);
    }

    static Timestamp ts(Instant i) {
        return Timestamp.from(i);
    }

    static int exec(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof UUID[] ids) {
                ps.setArray(i + 1, c.createArrayOf("uuid", ids));
            } else {
                ps.setObject(i + 1, a);
            }
        }
        return ps;
    }
}
