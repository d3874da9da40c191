package io.drover.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Schedules firing for real: intervals, cron with seconds, one-off dates, overlap policies,
 * PATCH, and two nodes on one database firing each tick exactly once (schedule_ticks).
 */
@DroverTest
class ScheduleTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    static TestServer server;
    static Api api;

    record Tick(Instant fireAt, String outcome, UUID runId) {}

    record RunRow(UUID id, String status) {}

    private static String createJob(Map<String, Object> body) {
        var created = api.post("/v1/jobs", body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json().get("id").asText();
    }

    private static UUID scheduleId(String jobId) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM schedules WHERE job_id = ?::uuid")) {
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getObject(1, UUID.class) : null;
                }
            }
        });
    }

    private static Instant nextFireAt(UUID scheduleId) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT next_fire_at FROM schedules WHERE id = ?")) {
                ps.setObject(1, scheduleId);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("schedule row " + scheduleId).isTrue();
                    Timestamp t = rs.getTimestamp(1);
                    return t == null ? null : t.toInstant();
                }
            }
        });
    }

    private static List<Tick> ticks(UUID scheduleId) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT fire_at, outcome, run_id FROM schedule_ticks WHERE schedule_id = ? ORDER BY fire_at")) {
                ps.setObject(1, scheduleId);
                List<Tick> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Tick(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getObject(3, UUID.class)));
                    }
                }
                return out;
            }
        });
    }

    private static List<RunRow> runsOf(UUID scheduleId) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, status::text FROM runs WHERE schedule_id = ? ORDER BY id")) {
                ps.setObject(1, scheduleId);
                List<RunRow> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new RunRow(rs.getObject(1, UUID.class), rs.getString(2)));
                    }
                }
                return out;
            }
        });
    }

    private static List<Tick> awaitTicks(UUID scheduleId, String what, java.util.function.Predicate<List<Tick>> ok) {
        return Await.value(what, WAIT, () -> ticks(scheduleId), ok);
    }

    private static long fired(List<Tick> ticks) {
        return ticks.stream().filter(t -> t.outcome().equals("fired")).count();
    }

    private static void delete(String jobId) {
        assertThat(api.delete("/v1/jobs/" + jobId).status()).isEqualTo(200);
    }

    /** Every fired tick made exactly one run of the schedule, and every such run came from a tick. */
    private static void assertTicksMatchRuns(UUID scheduleId) {
        List<Tick> ticks = ticks(scheduleId);
        Set<UUID> tickRuns = new HashSet<>();
        for (Tick t : ticks) {
            if (t.outcome().equals("fired")) {
                assertThat(t.runId()).as("a fired tick names its run").isNotNull();
                assertThat(tickRuns.add(t.runId())).as("one run per tick").isTrue();
            } else {
                assertThat(t.outcome()).isEqualTo("skipped");
                assertThat(t.runId()).as("a skipped tick makes no run").isNull();
            }
        }
        Set<UUID> runs = new HashSet<>();
        runsOf(scheduleId).forEach(r -> runs.add(r.id()));
        assertThat(runs).as("runs with this schedule_id == runs of fired ticks").isEqualTo(tickRuns);
        assertThat(ticks.stream().map(Tick::fireAt).distinct().count()).as("no fire time twice")
                .isEqualTo(ticks.size());
    }

    // ---------------------------------------------------------------------------------- tests

    @Test
    void anIntervalFiresEveryIntervalUntilTheJobIsDeleted() {
        Instant created = Instant.now();
        String jobId = createJob(Map.of("slug", "every-second", "queue", "sched-interval",
                "schedule", Map.of("interval_secs", 1)));
        UUID sid = scheduleId(jobId);
        assertThat(sid).isNotNull();
        List<Tick> ticks = awaitTicks(sid, "3 interval ticks", t -> fired(t) >= 3);
        delete(jobId);
        assertThat(scheduleId(jobId)).as("deleting the job removes its schedule").isNull();

        assertThat(ticks.get(0).fireAt()).isBetween(created.plusMillis(500), created.plusSeconds(3));
        for (int i = 1; i < ticks.size(); i++) {
            assertThat(Duration.between(ticks.get(i - 1).fireAt(), ticks.get(i).fireAt()))
                    .as("interval between ticks").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
        assertTicksMatchRuns(sid);
        List<String> statuses = runsOf(sid).stream().map(RunRow::status).distinct().toList();
        assertThat(statuses).containsExactly("queued");
        var run = api.get("/v1/runs/" + ticks.get(0).runId()).json();
        assertThat(run.get("job_slug").asText()).isEqualTo("every-second");
    }

    @Test
    void aSixFieldCronFiresOnWholeSeconds() {
        String jobId = createJob(Map.of("slug", "cron-seconds", "queue", "sched-cron",
                "schedule", Map.of("cron", "*/1 * * * * *")));
        UUID sid = scheduleId(jobId);
        List<Tick> ticks = awaitTicks(sid, "3 cron ticks", t -> fired(t) >= 3);
        delete(jobId);
        for (int i = 0; i < ticks.size(); i++) {
            assertThat(ticks.get(i).fireAt().getNano()).as("cron ticks fall on whole seconds").isZero();
            if (i > 0) {
                assertThat(ticks.get(i).fireAt()).isAfterOrEqualTo(ticks.get(i - 1).fireAt().plusSeconds(1));
            }
        }
        assertTicksMatchRuns(sid);
    }

    @Test
    void fiveFieldCronAndTimeZonesPlanTheRightNextTick() {
        Instant before = Instant.now();
        String minutely = createJob(Map.of("slug", "cron-minute", "schedule", Map.of("cron", "* * * * *")));
        // 09:00 in Tokyo (UTC+9, no daylight saving) is 00:00 UTC
        String tokyo = createJob(Map.of("slug", "cron-tokyo", "schedule", Map.of("cron", "0 9 * * *",
                "timezone", "Asia/Tokyo")));
        Instant nextMinute = before.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
        assertThat(nextFireAt(scheduleId(minutely))).isIn(nextMinute, nextMinute.plus(1, ChronoUnit.MINUTES));
        Instant midnight = LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        assertThat(nextFireAt(scheduleId(tokyo))).isIn(midnight, midnight.plus(1, ChronoUnit.DAYS));
        var job = api.get("/v1/jobs/cron-tokyo").json();
        assertThat(job.get("schedule").get("timezone").asText()).isEqualTo("Asia/Tokyo");
        assertThat(job.get("schedule").get("cron").asText()).isEqualTo("0 9 * * *");
        delete(minutely);
        delete(tokyo);
    }

    @Test
    void twoNodesOnOneDatabaseFireEachTickExactlyOnce() {
        try (TestServer second = TestServer.startOn(server.jdbcUrl(), Map.of())) {
            assertThat(second.server().nodeId()).isNotEqualTo(server.server().nodeId());
            Instant start = Instant.now();
            String jobId = createJob(Map.of("slug", "two-nodes", "queue", "sched-two",
                    "schedule", Map.of("cron", "*/1 * * * * *")));
            UUID sid = scheduleId(jobId);
            List<Tick> ticks = awaitTicks(sid, "6 ticks with two nodes", t -> fired(t) >= 6);
            // the second node sees the same schedule and answers for it
            assertThat(new Api(second).get("/v1/jobs/two-nodes").json().get("schedule").get("cron").asText())
                    .isEqualTo("*/1 * * * * *");
            delete(jobId);
            Instant end = Instant.now();

            ticks = ticks(sid);
            assertThat(ticks).allMatch(t -> t.outcome().equals("fired"));
            for (int i = 1; i < ticks.size(); i++) {
                assertThat(ticks.get(i).fireAt()).as("fire times strictly 1 s apart or more")
                        .isAfterOrEqualTo(ticks.get(i - 1).fireAt().plusSeconds(1));
            }
            // never more ticks than seconds that passed: a tick fired twice would show as a surplus
            long seconds = Duration.between(start, end).toSeconds() + 1;
            assertThat((long) ticks.size()).isLessThanOrEqualTo(seconds);
            assertTicksMatchRuns(sid);
            assertThat(runsOf(sid)).hasSize(ticks.size());
        }
    }

    @Test
    void overlapSkipSkipsWhileARunIsLiveAndFiresAgainAfter() {
        String jobId = createJob(Map.of("slug", "skipper", "queue", "sched-skip",
                "schedule", Map.of("interval_secs", 1, "overlap_policy", "skip")));
        UUID sid = scheduleId(jobId);
        List<Tick> ticks = awaitTicks(sid, "a skipped tick", t -> t.stream().anyMatch(x -> x.outcome().equals("skipped")));
        assertThat(ticks.get(0).outcome()).isEqualTo("fired");
        assertThat(fired(ticks)).as("the live run blocks every later tick").isEqualTo(1);
        assertThat(runsOf(sid)).hasSize(1);
        String first = ticks.get(0).runId().toString();

        var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "sk", "queues", List.of("sched-skip"),
                "max", 10));
        assertThat(claimed.json().get("data")).hasSize(1);
        assertThat(claimed.json().get("data").get(0).get("id").asText()).isEqualTo(first);
        // still live while executing: ticks keep being skipped
        int seen = ticks(sid).size();
        awaitTicks(sid, "a tick while the run executes", t -> t.size() > seen);
        assertThat(fired(ticks(sid))).isEqualTo(1);
        assertThat(api.post("/v1/runs/" + first + "/complete", Map.of("worker_id", "sk")).status()).isEqualTo(200);

        awaitTicks(sid, "a fired tick after the run completed", t -> fired(t) >= 2);
        delete(jobId);
        assertTicksMatchRuns(sid);
        List<Tick> all = ticks(sid);
        int firstSkipped = all.indexOf(all.stream().filter(t -> t.outcome().equals("skipped")).findFirst().get());
        assertThat(firstSkipped).isEqualTo(1);
    }

    @Test
    void overlapCancelRunningCancelsTheRunningRun() {
        String jobId = createJob(Map.of("slug", "canceller", "queue", "sched-cancel",
                "schedule", Map.of("interval_secs", 2, "overlap_policy", "cancel_running")));
        UUID sid = scheduleId(jobId);
        var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "cx", "queues", List.of("sched-cancel"),
                "max", 1, "wait_ms", 10_000, "lease_ms", 60_000));
        assertThat(claimed.json().get("data")).as("the first tick's run").hasSize(1);
        String first = claimed.json().get("data").get(0).get("id").asText();
        assertThat(claimed.json().get("data").get(0).get("status").asText()).isEqualTo("executing");

        awaitTicks(sid, "a second tick", t -> fired(t) >= 2);
        delete(jobId);
        JsonNode run = api.get("/v1/runs/" + first).json();
        assertThat(run.get("status").asText()).isEqualTo("canceled");
        JsonNode events = api.get("/v1/runs/" + first + "/events").json().get("data");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("type").asText()).isEqualTo("canceled");
        assertThat(last.get("from_status").asText()).isEqualTo("executing");
        assertThat(last.get("message").asText()).contains("cancel_running");
        // the worker learns it lost the run
        assertThat(api.post("/v1/runs/" + first + "/complete", Map.of("worker_id", "cx")).status()).isEqualTo(409);
        // each tick cancels the live runs before it makes its own: only the newest run is left live
        List<RunRow> runs = runsOf(sid);
        assertThat(runs.size()).isGreaterThanOrEqualTo(2);
        assertThat(runs.get(runs.size() - 1).status()).isEqualTo("queued");
        assertThat(runs.subList(0, runs.size() - 1)).allMatch(r -> r.status().equals("canceled"));
        assertTicksMatchRuns(sid);
    }

    @Test
    void anAtScheduleFiresOnceEvenWhenItsTimeHasPassed() {
        Instant at = Instant.now().plusMillis(1500).truncatedTo(ChronoUnit.MILLIS);
        String soon = createJob(Map.of("slug", "at-soon", "queue", "sched-at",
                "schedule", Map.of("at", at.toString())));
        String past = createJob(Map.of("slug", "at-past", "queue", "sched-at",
                "schedule", Map.of("at", "2020-01-01T00:00:00Z")));
        String clock = createJob(Map.of("slug", "at-clock", "queue", "sched-at-clock",
                "schedule", Map.of("interval_secs", 1)));
        UUID soonId = scheduleId(soon);
        UUID pastId = scheduleId(past);
        UUID clockId = scheduleId(clock);
        List<Tick> soonTicks = awaitTicks(soonId, "the at tick", t -> !t.isEmpty());
        assertThat(soonTicks.get(0).fireAt()).isEqualTo(at);
        assertThat(soonTicks.get(0).runId()).isNotNull();
        // two more ticks of an interval schedule on the same ticker: the at schedules had their chance
        int clockTicks = ticks(clockId).size();
        awaitTicks(clockId, "two more clock ticks", t -> t.size() >= clockTicks + 2);
        assertThat(ticks(soonId)).hasSize(1);
        assertThat(ticks(pastId)).as("an at in the past fires once, at once").hasSize(1);
        assertThat(nextFireAt(soonId)).as("nothing planned after an at").isNull();
        assertThat(nextFireAt(pastId)).isNull();
        assertTicksMatchRuns(soonId);
        assertTicksMatchRuns(pastId);
        delete(soon);
        delete(past);
        delete(clock);
    }

    @Test
    void patchingTheScheduleReplansOrKeepsTheNextTick() {
        String jobId = createJob(Map.of("slug", "patchy", "queue", "sched-patch",
                "schedule", Map.of("interval_secs", 3600)));
        UUID sid = scheduleId(jobId);
        Instant planned = nextFireAt(sid);
        assertThat(planned).isAfter(Instant.now().plusSeconds(3500));

        // only the overlap policy changes: the planned tick is kept, not moved or repeated
        var p1 = api.patch("/v1/jobs/patchy", Map.of("schedule", Map.of("interval_secs", 3600,
                "overlap_policy", "skip")));
        assertThat(p1.status()).as(p1.text()).isEqualTo(200);
        assertThat(p1.json().get("version").asInt()).isEqualTo(2);
        assertThat(p1.json().get("schedule").get("overlap_policy").asText()).isEqualTo("skip");
        assertThat(nextFireAt(sid)).isEqualTo(planned);

        // a bad PATCH is refused and changes nothing
        Snapshot before = Snapshot.of(server.db());
        var bad = api.patch("/v1/jobs/patchy", Map.of("schedule", Map.of("cron", "99 * * * *")));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().at("/error/details/field").asText()).isEqualTo("schedule.cron");
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();

        // a new interval replans from now, and it fires
        var p2 = api.patch("/v1/jobs/patchy", Map.of("schedule", Map.of("interval_secs", 1)));
        assertThat(p2.status()).isEqualTo(200);
        assertThat(nextFireAt(sid)).isBefore(Instant.now().plusSeconds(2));
        assertThat(scheduleId(jobId)).as("the same schedule row is updated").isEqualTo(sid);
        awaitTicks(sid, "a tick after the PATCH", t -> fired(t) >= 1);

        // schedule: null removes it
        var p3 = api.patch("/v1/jobs/patchy", java.util.Collections.singletonMap("schedule", null));
        assertThat(p3.status()).isEqualTo(200);
        assertThat(p3.json().get("schedule").isNull()).isTrue();
        assertThat(scheduleId(jobId)).isNull();
        assertThat(api.get("/v1/jobs/patchy/versions").json().get("data")).hasSize(4);
        delete(jobId);
    }

    @Test
    void aBadCronOrTimeZoneIsA422NamingTheField() {
        Snapshot before = Snapshot.of(server.db());
        Object[][] cases = {
            {Map.of("cron", "not a cron"), "schedule.cron"},
            {Map.of("cron", "0 25 * * *"), "schedule.cron"},
            {Map.of("cron", "* * * * * * *"), "schedule.cron"},
            {Map.of("cron", "*/0 * * * * *"), "schedule.cron"},
            {Map.of("cron", "0 9 * * *", "timezone", "Mars/Olympus"), "schedule.timezone"},
            {Map.of("cron", "0 9 * * *", "timezone", "UTC+99"), "schedule.timezone"},
            {Map.of("interval_secs", 5, "timezone", ""), "schedule.timezone"},
        };
        for (Object[] c : cases) {
            var answer = api.post("/v1/jobs", Map.of("slug", "bad-schedule", "schedule", c[0]));
            assertThat(answer.status()).as(c[0] + " -> " + answer.text()).isEqualTo(422);
            assertThat(answer.json().at("/error/code").asText()).isEqualTo("validation_failed");
            assertThat(answer.json().at("/error/details/field").asText()).as(c[0].toString()).isEqualTo(c[1]);
        }
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
        assertThat(api.get("/v1/jobs/bad-schedule").status()).isEqualTo(404);
    }
}
