package io.drover.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A run's checkpoints, tool calls and event waits go with the run when retention removes it, and only then. */
@DroverTest(env = {"DROVER_PUSH_ENABLED=false", "DROVER_REAPER_INTERVAL_MS=3600000"})
class RunRecordsRetentionTest {
    static TestServer server;
    static Api api;

    @Test
    void checkpointsToolCallsAndEventWaitsGoWithTheirRuns() throws Exception {
        api.post("/v1/jobs", Map.of("slug", "rec-ret", "queue", "rec-ret"));
        String old = record("old", true);
        String recent = record("recent", false);
        UUID project = UUID.fromString(text("SELECT project_id::text FROM runs WHERE id = '" + old + "'"));
        exec("UPDATE projects SET settings = settings || '{\"retention_days\": 1}' WHERE id = '" + project + "'");
        exec("UPDATE runs SET finished_at = now() - interval '3 days' WHERE id = '" + old + "'");

        Map<String, Long> deleted = server.server().retention().runProject(project);
        assertThat(deleted.get("runs")).isEqualTo(1);
        assertThat(deleted.get("run_checkpoints")).isEqualTo(2);
        assertThat(deleted.get("run_tool_calls")).isEqualTo(1);
        assertThat(deleted.get("event_triggers")).isEqualTo(1);
        for (String table : List.of("run_checkpoints", "run_tool_calls", "event_triggers")) {
            assertThat(count("SELECT count(*) FROM " + table + " WHERE run_id = '" + old + "'")).as(table).isZero();
        }
        assertThat(count("SELECT count(*) FROM run_checkpoints WHERE run_id = '" + recent + "'")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM run_tool_calls WHERE run_id = '" + recent + "'")).isEqualTo(1);
        assertThat(api.get("/v1/runs/" + recent + "/tool-calls").json().get("data")).hasSize(1);
    }

    /** A completed run with two checkpoints, a tool call and (if asked) an event wait that a send resolved. */
    private String record(String name, boolean withWait) {
        String id = api.post("/v1/jobs/rec-ret/trigger", Map.of()).json().get("id").asText();
        claim(name, id);
        for (int i = 0; i < 2; i++) {
            assertThat(api.post("/v1/runs/" + id + "/checkpoints", Map.of("worker_id", name, "state", i)).status())
                    .isEqualTo(201);
        }
        assertThat(api.post("/v1/runs/" + id + "/tool-calls", Map.of("worker_id", name, "name", "t")).status())
                .isEqualTo(201);
        if (withWait) {
            api.post("/v1/runs/" + id + "/wait", Map.of("worker_id", name, "event_key", "ret-" + id));
            api.post("/v1/events/ret-" + id + "/send", Map.of("payload", 1));
            claim(name, id);
        }
        assertThat(api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", name)).status()).isEqualTo(200);
        return id;
    }

    private static void claim(String worker, String id) {
        Await.until("a claim of " + id, Duration.ofSeconds(15), () -> api.post("/v1/worker/claim",
                Map.of("worker_id", worker, "queues", List.of("rec-ret"), "wait_ms", 500)).text().contains(id));
    }

    private static long count(String sql) {
        return Long.parseLong(text(sql));
    }

    private static String text(String sql) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    private static void exec(String sql) {
        server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                return ps.executeUpdate();
            }
        });
    }
}
