package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * retention_days applies to external tasks: finished tasks older than the window go with their
 * events, as do finished commands and old events of tasks that never finish; unfinished tasks and
 * other projects stay.
 */
@DroverTest
class AgentRetentionTest {
    static TestServer server;
    static Api api;

    @Test
    void finishedTasksTheirEventsAndFinishedCommandsGoAfterTheWindow() {
        Api owner = AgentKit.project(server, "agents-ret", "{\"retention_days\": 1}");
        UUID project = UUID.fromString(owner.get("/v1/me").json().get("project_id").asText());
        AgentKit.Registered a = AgentKit.register(server, owner, "ret-agent");
        AgentKit.events(a, List.of(AgentKit.event(1, "task_sent", "old-1", Map.of()),
                AgentKit.event(2, "task_succeeded", "old-1", Map.of()),
                AgentKit.event(3, "task_started", "running-1", Map.of()),
                AgentKit.event(4, "task_failed", "new-1", Map.of("ts", java.time.Instant.now().toString()))));
        String oldTask = AgentKit.task(owner, a, "old-1").get("id").asText();
        String command = owner.post("/v1/tasks/" + oldTask + "/retry", Map.of()).json().get("id").asText();
        a.api().post("/v1/agent/commands/" + command + "/result", Map.of("ok", true));
        // the same in the default project, which keeps everything
        AgentKit.Registered kept = AgentKit.register(server, api, "ret-kept");
        AgentKit.events(kept, List.of(AgentKit.event(1, "task_succeeded", "old-1", Map.of())));

        server.db().read(c -> {
            try (var s = c.createStatement()) {
                // finished_at is the engine's time (the event's ts): old-1 finished on 2026-01-01 already
                s.executeUpdate("UPDATE agent_task_events SET received_at = now() - interval '2 days' "
                        + "WHERE external_id IN ('old-1', 'running-1')");
                s.executeUpdate("UPDATE agent_commands SET finished_at = now() - interval '2 days'");
            }
            return null;
        });
        Map<String, Long> deleted = server.server().retention().runProject(project);
        assertThat(deleted.get("agent_tasks")).isEqualTo(1);
        assertThat(deleted.get("agent_task_events")).as("old-1's two, running-1's old one").isEqualTo(3);
        assertThat(deleted.get("agent_commands")).isEqualTo(1);
        assertThat(owner.get("/v1/tasks/" + oldTask).status()).isEqualTo(404);
        assertThat(owner.get("/v1/commands/" + command).status()).isEqualTo(404);
        assertThat(AgentKit.task(owner, a, "running-1").get("state").asText()).isEqualTo("started");
        assertThat(AgentKit.task(owner, a, "new-1").get("events")).hasSize(1);
        assertThat(AgentKit.task(api, kept, "old-1").get("events")).hasSize(1);
    }
}
