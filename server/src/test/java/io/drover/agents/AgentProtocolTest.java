package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The agent protocol over HTTP: hello, events with their per-agent seq (good, replayed, out of
 * order, repeated in a frame), tasks folded from them with redacted arguments, lists and filters,
 * observed schedules replaced whole, and bad frames refused whole with nothing stored.
 */
@DroverTest
class AgentProtocolTest {
    static TestServer server;
    static Api api;

    @Test
    void helloAnswersTheIntervalsAndBringsTheAgentOnline() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-hello");
        var hello = AgentKit.hello(a, List.of("retry", "cancel"));
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.json().get("agent_id").asText()).isEqualTo(a.id());
        assertThat(hello.json().get("heartbeat_interval_ms").asLong()).isEqualTo(10_000);
        assertThat(hello.json().get("offline_after_ms").asLong()).isEqualTo(30_000);
        JsonNode agent = api.get("/v1/agents/" + a.id()).json();
        assertThat(agent.get("state").asText()).isEqualTo("online");
        assertThat(agent.get("protocol_version").asInt()).isEqualTo(1);
        assertThat(agent.get("framework").asText()).isEqualTo("quartz");
        assertThat(agent.get("capabilities").toString()).isEqualTo("[\"retry\",\"cancel\"]");
        assertThat(agent.get("last_connect_at").isNull()).isFalse();
        assertThat(AgentKit.strings(server, "SELECT type FROM log_events WHERE data ->> 'agent_id' = ?", a.id()))
                .containsExactly("agent.online");
        var beat = a.api().post("/v1/agent/heartbeat", Map.of("error_rate", 0.0, "active_tasks", 3,
                "current_task", "report.daily", "uptime_secs", 60));
        assertThat(beat.json().get("state").asText()).isEqualTo("online");
        agent = api.get("/v1/agents/" + a.id()).json();
        assertThat(agent.get("active_tasks").asInt()).isEqualTo(3);
        assertThat(agent.get("uptime_secs").asLong()).isEqualTo(60);
    }

    @Test
    void eventsAreFoldedIntoTasksAndAReplayedFrameChangesNothing() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-events");
        List<Map<String, Object>> frame = List.of(
                AgentKit.event(1, "task_sent", "daily-1", Map.of()),
                AgentKit.event(2, "task_started", "daily-1", Map.of()),
                AgentKit.event(3, "task_sent", "hourly-1", Map.of()),
                AgentKit.event(4, "task_failed", "daily-1", Map.of("error", Map.of("type", "IOError",
                        "message", "disk full", "traceback", "at Report.run(Report.java:12)"))),
                AgentKit.event(5, "task_retry", "daily-1", Map.of("retried_as", "daily-2")));
        JsonNode first = AgentKit.events(a, frame);
        assertThat(first.get("accepted").asInt()).isEqualTo(5);
        assertThat(first.get("duplicates").asInt()).isZero();

        JsonNode daily = AgentKit.task(api, a, "daily-1");
        assertThat(daily.get("state").asText()).isEqualTo("retried");
        assertThat(daily.get("engine").asText()).isEqualTo("quartz");
        assertThat(daily.get("name").asText()).isEqualTo("report.daily");
        assertThat(daily.get("retried_as").asText()).isEqualTo("daily-2");
        assertThat(daily.get("error").get("traceback").asText()).contains("Report.java:12");
        assertThat(daily.get("enqueued_at").asText()).isEqualTo("2026-01-01T00:00:01Z");
        assertThat(daily.get("started_at").asText()).isEqualTo("2026-01-01T00:00:02Z");
        assertThat(daily.get("finished_at").asText()).isEqualTo("2026-01-01T00:00:05Z");
        List<Long> seqs = new ArrayList<>();
        daily.get("events").forEach(e -> seqs.add(e.get("seq").asLong()));
        assertThat(seqs).containsExactly(1L, 2L, 4L, 5L);
        assertThat(AgentKit.task(api, a, "hourly-1").get("state").asText()).isEqualTo("pending");

        // the agent resends after a network error: nothing is counted twice, nothing changes
        Snapshot before = Snapshot.of(server.db());
        JsonNode again = AgentKit.events(a, frame);
        assertThat(again.get("accepted").asInt()).isZero();
        assertThat(again.get("duplicates").asInt()).isEqualTo(5);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }

    @Test
    void anOlderSeqArrivingLateIsAcceptedButNeverMovesTheStateBack() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-order");
        JsonNode r = AgentKit.events(a, List.of(AgentKit.event(7, "task_succeeded", "late-1", Map.of())));
        assertThat(r.get("accepted").asInt()).isEqualTo(1);
        r = AgentKit.events(a, List.of(AgentKit.event(6, "task_started", "late-1", Map.of()),
                AgentKit.event(5, "task_sent", "late-1", Map.of("task", Map.of("external_id", "late-1",
                        "engine", "quartz", "args", List.of(1, 2))))));
        assertThat(r.get("accepted").asInt()).isEqualTo(2);
        JsonNode t = AgentKit.task(api, a, "late-1");
        assertThat(t.get("state").asText()).isEqualTo("succeeded");
        assertThat(t.get("started_at").asText()).isEqualTo("2026-01-01T00:00:06Z");
        assertThat(t.get("enqueued_at").asText()).isEqualTo("2026-01-01T00:00:05Z");
        assertThat(t.get("finished_at").asText()).isEqualTo("2026-01-01T00:00:07Z");
        assertThat(t.get("args").toString()).isEqualTo("[1,2]");
        assertThat(t.get("last_seq").asLong()).isEqualTo(7);
        // a seq twice in one frame: the first counts, the second is a duplicate
        r = AgentKit.events(a, List.of(AgentKit.event(8, "task_started", "late-2", Map.of()),
                AgentKit.event(8, "task_failed", "late-2", Map.of())));
        assertThat(r.get("accepted").asInt()).isEqualTo(1);
        assertThat(r.get("duplicates").asInt()).isEqualTo(1);
        assertThat(AgentKit.task(api, a, "late-2").get("state").asText()).isEqualTo("started");
        // a task started again after it finished is not finished any more
        AgentKit.events(a, List.of(AgentKit.event(9, "task_started", "late-1", Map.of())));
        assertThat(AgentKit.task(api, a, "late-1").get("finished_at").isNull()).isTrue();
    }

    @Test
    void argumentsAndErrorsAreRedactedBeforeTheyAreStored() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-redact");
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("external_id", "secret-1");
        task.put("engine", "jobrunr");
        task.put("args", List.of("visible", Map.of("password", "hunter2")));
        task.put("kwargs", Map.of("api_token", "tok-123", "user", "ada"));
        AgentKit.events(a, List.of(Map.of("seq", 1, "type", "task_failed", "task", task,
                "error", Map.of("type", "AuthError", "message", "login failed password=hunter2"))));
        JsonNode t = AgentKit.task(api, a, "secret-1");
        assertThat(t.get("args").get(1).get("password").asText()).isEqualTo("[REDACTED]");
        assertThat(t.get("kwargs").get("user").asText()).isEqualTo("ada");
        assertThat(t.get("kwargs").get("api_token").asText()).isEqualTo("[REDACTED]");
        assertThat(t.get("error").get("message").asText()).doesNotContain("hunter2");
        assertThat(AgentKit.count(server, "SELECT count(*) FROM agent_tasks t WHERE t::text LIKE '%hunter2%'"))
                .isZero();
        assertThat(AgentKit.count(server, "SELECT count(*) FROM agent_task_events e WHERE e::text LIKE '%hunter2%'"))
                .isZero();
    }

    @Test
    void tasksAreListedNewestFirstAndFiltered() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-list");
        AgentKit.Registered b = AgentKit.register(server, api, "proto-list-b");
        List<Map<String, Object>> frame = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            frame.add(AgentKit.event(i, i % 2 == 0 ? "task_failed" : "task_succeeded", "listed-" + i, Map.of()));
        }
        AgentKit.events(a, frame);
        AgentKit.events(b, List.of(Map.of("seq", 1, "type", "task_sent", "task", Map.of("external_id", "x",
                "engine", "db-scheduler", "name", "cleanup"))));
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/tasks?agent=" + a.id() + "&limit=4" + (cursor == null ? "" : "&cursor="
                    + cursor)).json();
            page.get("data").forEach(t -> seen.add(t.get("external_id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(seen).hasSize(6);
        List<String> sorted = new ArrayList<>(seen);
        Collections.sort(sorted, Collections.reverseOrder());
        assertThat(seen).as("newest first").isEqualTo(sorted);
        assertThat(api.get("/v1/tasks?agent=proto-list&state=failed").json().get("data")).hasSize(3);
        assertThat(api.get("/v1/tasks?engine=db-scheduler").json().get("data")).hasSize(1);
        assertThat(api.get("/v1/tasks?name=cleanup&engine=db-scheduler&state=pending").json().get("data"))
                .hasSize(1);
        assertThat(api.get("/v1/tasks?agent=no-such-agent").json().get("data")).isEmpty();
        assertThat(api.get("/v1/tasks?state=done").status()).isEqualTo(400);
    }

    @Test
    void schedulesAreReplacedWhole() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-sched");
        var first = a.api().post("/v1/agent/schedules", Map.of("schedules", List.of(
                Map.of("scheduler", "quartz", "name", "nightly", "task", "report.daily", "type", "cron",
                        "expression", "0 0 2 * * ?", "enabled", true, "next_run_at", "2026-12-08T02:00:00Z"),
                Map.of("name", "every-5m", "type", "interval", "expression", "PT5M"))));
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        JsonNode listed = api.get("/v1/agents/" + a.id() + "/schedules").json().get("data");
        assertThat(listed).hasSize(2);
        assertThat(listed.get(0).get("name").asText()).isEqualTo("every-5m");
        assertThat(listed.get(1).get("next_run_at").asText()).isEqualTo("2026-12-08T02:00:00Z");
        a.api().post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "nightly", "enabled", false))));
        listed = api.get("/v1/agents/" + a.id() + "/schedules").json().get("data");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("enabled").asBoolean()).isFalse();
        assertThat(a.api().post("/v1/agent/schedules", Map.of("schedules", List.of())).status()).isEqualTo(200);
        assertThat(api.get("/v1/agents/" + a.id() + "/schedules").json().get("data")).isEmpty();
    }

    @Test
    void badFramesAreRefusedWholeAndChangeNothing() {
        AgentKit.Registered a = AgentKit.register(server, api, "proto-bad");
        AgentKit.events(a, List.of(AgentKit.event(1, "task_sent", "ok-1", Map.of())));
        Snapshot before = Snapshot.of(server.db());
        Map<String, Object> good = AgentKit.event(2, "task_started", "ok-1", Map.of());
        record Bad(Object body, int status, String code, String field) {}
        Map<String, Object> unknownType = new LinkedHashMap<>(good);
        unknownType.put("type", "task_exploded");
        Map<String, Object> noSeq = new LinkedHashMap<>(good);
        noSeq.remove("seq");
        Map<String, Object> zeroSeq = new LinkedHashMap<>(good);
        zeroSeq.put("seq", 0);
        Map<String, Object> stringSeq = new LinkedHashMap<>(good);
        stringSeq.put("seq", "2");
        Map<String, Object> noTask = new LinkedHashMap<>(good);
        noTask.remove("task");
        Map<String, Object> noExternal = new LinkedHashMap<>(good);
        noExternal.put("task", Map.of("engine", "quartz"));
        Map<String, Object> extra = new LinkedHashMap<>(good);
        extra.put("priority", 1);
        Map<String, Object> badTs = new LinkedHashMap<>(good);
        badTs.put("ts", "yesterday");
        Map<String, Object> nul = new LinkedHashMap<>(good);
        nul.put("task", Map.of("external_id", "ok-1", "engine", "quartz", "name", "a\u0000b"));
        List<Bad> cases = List.of(
                new Bad(Map.of(), 422, "validation_failed", "events"),
                new Bad(Map.of("events", "all"), 400, "invalid_type", "events"),
                new Bad(Map.of("events", List.of(good, unknownType)), 422, "unknown_event_type", "events[1].type"),
                new Bad(Map.of("events", List.of(noSeq)), 422, "validation_failed", "events[0].seq"),
                new Bad(Map.of("events", List.of(zeroSeq)), 422, "validation_failed", "events[0].seq"),
                new Bad(Map.of("events", List.of(stringSeq)), 400, "invalid_type", "events[0].seq"),
                new Bad(Map.of("events", List.of(noTask)), 422, "validation_failed", "events[0].task"),
                new Bad(Map.of("events", List.of(noExternal)), 422, "validation_failed", "events[0].task.external_id"),
                new Bad(Map.of("events", List.of(extra)), 422, "unknown_field", "events[0].priority"),
                new Bad(Map.of("events", List.of(badTs)), 422, "validation_failed", "events[0].ts"),
                new Bad(Map.of("events", List.of(nul)), 422, "validation_failed", "events[0].task.name"),
                new Bad(Map.of("events", Collections.nCopies(1001, good)), 422, "validation_failed", "events"),
                new Bad("{\"events\": [", 400, "malformed_json", null));
        for (Bad b : cases) {
            var r = a.api().post("/v1/agent/events", b.body());
            assertThat(r.status()).as(r.text()).isEqualTo(b.status());
            assertThat(r.errorCode()).as(r.text()).isEqualTo(b.code());
            if (b.field() != null) {
                assertThat(r.json().at("/error/details/field").asText()).as(r.text()).isEqualTo(b.field());
            }
        }
        var dup = a.api().post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "n"),
                Map.of("name", "n"))));
        assertThat(dup.status()).isEqualTo(422);
        assertThat(a.api().post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "n",
                "type", "weekly")))).status()).isEqualTo(422);
        assertThat(a.api().post("/v1/agent/heartbeat", Map.of("error_rate", 1.5)).status()).isEqualTo(422);
        assertThat(a.api().post("/v1/agent/heartbeat", Map.of("error_rate", "high")).status()).isEqualTo(400);
        assertThat(a.api().post("/v1/agent/hello", Map.of("framework", "quartz")).status()).isEqualTo(422);
        assertThat(a.api().get("/v1/agent/commands?wait_ms=60000").status()).isEqualTo(400);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }
}
