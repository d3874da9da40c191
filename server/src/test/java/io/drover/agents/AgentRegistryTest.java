package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The registry: tokens shown once and stored hashed, rotation and deletion that stop the old token
 * at once, audited admin actions, lists by state with cursors, and projects that never see each
 * other's agents, tasks or commands.
 */
@DroverTest
class AgentRegistryTest {
    static TestServer server;
    static Api api;

    @Test
    void theTokenIsShownOnceAndStoredOnlyAsAHash() {
        var made = api.post("/v1/agents", Map.of("name", "reg-once", "labels", Map.of("dc", "eu")));
        assertThat(made.status()).isEqualTo(201);
        String token = made.json().get("token").asText();
        String id = made.json().get("id").asText();
        assertThat(token).startsWith("dra_").hasSizeGreaterThan(40);
        assertThat(made.json().get("state").asText()).isEqualTo("unknown");
        assertThat(made.json().get("labels").get("dc").asText()).isEqualTo("eu");
        JsonNode got = api.get("/v1/agents/" + id).json();
        assertThat(got.has("token")).isFalse();
        assertThat(got.toString()).doesNotContain(token);
        // nowhere in the row, nor in the audit log, in any form
        assertThat(AgentKit.count(server, "SELECT count(*) FROM agents t WHERE t::text LIKE ?",
                "%" + token.substring(4) + "%")).isZero();
        assertThat(AgentKit.count(server, "SELECT count(*) FROM agents WHERE token_hash = convert_to(?, 'UTF8')",
                token)).isZero();
        assertThat(AgentKit.count(server, "SELECT count(*) FROM audit_log a WHERE a::text LIKE ?",
                "%" + token.substring(4) + "%")).isZero();
        assertThat(AgentKit.count(server, "SELECT count(*) FROM audit_log WHERE action = 'agent.create' AND "
                + "target_id = ?", id)).isEqualTo(1);

        assertThat(new Api(server.baseUrl(), token).post("/v1/agent/hello", Map.of("protocol_version", 1)).status())
                .isEqualTo(200);
        assertThat(api.post("/v1/agents", Map.of("name", "reg-once")).errorCode()).isEqualTo("name_taken");
    }

    @Test
    void rotationAndDeletionStopTheOldTokenAtOnce() {
        AgentKit.Registered a = AgentKit.register(server, api, "reg-rotate");
        assertThat(AgentKit.hello(a, List.of()).status()).isEqualTo(200);
        var rotated = api.post("/v1/agents/" + a.id() + "/rotate-token", Map.of());
        assertThat(rotated.status()).isEqualTo(200);
        String fresh = rotated.json().get("token").asText();
        assertThat(fresh).isNotEqualTo(a.token());
        var old = a.api().post("/v1/agent/heartbeat", Map.of());
        assertThat(old.status()).isEqualTo(401);
        assertThat(old.errorCode()).isEqualTo("unauthorized");
        Api now = new Api(server.baseUrl(), fresh);
        assertThat(now.post("/v1/agent/heartbeat", Map.of()).status()).isEqualTo(200);

        assertThat(api.delete("/v1/agents/" + a.id()).status()).isEqualTo(200);
        assertThat(now.post("/v1/agent/heartbeat", Map.of()).status()).isEqualTo(401);
        assertThat(now.get("/v1/agent/commands").status()).isEqualTo(401);
        assertThat(api.get("/v1/agents/" + a.id()).status()).isEqualTo(404);
        assertThat(AgentKit.strings(server, "SELECT action FROM audit_log WHERE target_id = ? ORDER BY seq",
                a.id())).containsExactly("agent.create", "agent.rotate_token", "agent.delete");
    }

    @Test
    void anApiKeyIsNoAgentTokenAndAnAgentTokenIsNoApiKey() {
        AgentKit.Registered a = AgentKit.register(server, api, "reg-cross");
        Snapshot before = Snapshot.of(server.db());
        assertThat(api.post("/v1/agent/hello", Map.of("protocol_version", 1)).status()).isEqualTo(401);
        assertThat(new Api(server.baseUrl(), null).post("/v1/agent/hello", Map.of("protocol_version", 1)).status())
                .isEqualTo(401);
        assertThat(a.api().get("/v1/jobs").status()).isEqualTo(401);
        assertThat(a.api().get("/v1/agents").status()).isEqualTo(401);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }

    @Test
    void listsFilterByStateAndPageWithCursors() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AgentKit.Registered a = AgentKit.register(server, api, "reg-list-" + i);
            ids.add(a.id());
            if (i > 0) {
                assertThat(AgentKit.hello(a, List.of()).status()).isEqualTo(200);
            }
        }
        List<String> online = new ArrayList<>();
        String cursor = null;
        do {
            var page = api.get("/v1/agents?state=online&limit=1" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("data").forEach(n -> online.add(n.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(online).contains(ids.get(2), ids.get(1)).doesNotContain(ids.get(0));
        assertThat(online.indexOf(ids.get(2))).isLessThan(online.indexOf(ids.get(1))); // newest first
        assertThat(api.get("/v1/agents?state=unknown").json().get("data").toString()).contains(ids.get(0));
        assertThat(api.get("/v1/agents?state=lost").status()).isEqualTo(400);
    }

    @Test
    void projectsNeverSeeEachOthersAgentsTasksOrCommands() {
        AgentKit.Registered a = AgentKit.register(server, api, "reg-iso");
        assertThat(AgentKit.hello(a, List.of()).status()).isEqualTo(200);
        AgentKit.events(a, List.of(AgentKit.event(1, "task_failed", "iso-1", Map.of())));
        String taskId = api.get("/v1/tasks?agent=" + a.id()).json().get("data").get(0).get("id").asText();
        Api other = AgentKit.project(server, "agents-other", "{}");
        assertThat(other.get("/v1/agents/" + a.id()).status()).isEqualTo(404);
        assertThat(other.get("/v1/agents").json().get("data")).isEmpty();
        assertThat(other.get("/v1/tasks").json().get("data")).isEmpty();
        assertThat(other.get("/v1/tasks?agent=" + a.id()).json().get("data")).isEmpty();
        assertThat(other.get("/v1/tasks/" + taskId).status()).isEqualTo(404);
        assertThat(other.post("/v1/tasks/" + taskId + "/retry", Map.of()).status()).isEqualTo(404);
        assertThat(other.delete("/v1/agents/" + a.id()).status()).isEqualTo(404);
        assertThat(other.post("/v1/agents/" + a.id() + "/rotate-token", Map.of()).status()).isEqualTo(404);
        assertThat(other.get("/v1/agents/" + a.id() + "/schedules").status()).isEqualTo(404);
        String command = api.post("/v1/tasks/" + taskId + "/retry", Map.of()).json().get("id").asText();
        assertThat(other.get("/v1/commands/" + command).status()).isEqualTo(404);
        // the other project's agent cannot touch this agent's command
        var made = other.post("/v1/agents", Map.of("name", "reg-iso"));
        assertThat(made.status()).as("names are unique per project only").isEqualTo(201);
        Api otherAgent = new Api(server.baseUrl(), made.json().get("token").asText());
        assertThat(otherAgent.post("/v1/agent/commands/" + command + "/ack", Map.of()).status()).isEqualTo(404);
        assertThat(otherAgent.get("/v1/agent/commands").json().get("data")).isEmpty();
        assertThat(api.get("/v1/commands/" + command).json().get("status").asText()).isEqualTo("pending");
        assertThat(UUID.fromString(command)).isNotNull();
    }
}
