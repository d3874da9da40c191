package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.Keys;
import io.drover.identity.ApiKeys;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Shared steps of the agent tests: agents made through the API, frames sent as an agent sends them. */
final class AgentKit {
    private AgentKit() {}

    /** A registered agent: its id, its token, and an Api that sends the token. */
    record Registered(String id, String token, Api api) {}

    static Registered register(TestServer server, Api admin, String name) {
        var made = admin.post("/v1/agents", Map.of("name", name, "labels", Map.of("team", "core")));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        String token = made.json().get("token").asText();
        return new Registered(made.json().get("id").asText(), token, new Api(server.baseUrl(), token));
    }

    static Api.Answer hello(Registered a, List<String> capabilities) {
        return a.api().post("/v1/agent/hello", Map.of("protocol_version", 1, "framework", "quartz",
                "engines", List.of("quartz"), "schedulers", List.of("quartz"), "capabilities", capabilities,
                "metadata", Map.of("host", "h1")));
    }

    /** An event of task {@code external} of engine quartz. */
    static Map<String, Object> event(long seq, String type, String external, Map<String, Object> more) {
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("external_id", external);
        task.put("engine", "quartz");
        task.put("name", "report." + external.split("-")[0]);
        task.put("queue", "default");
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("seq", seq);
        e.put("type", type);
        e.put("ts", "2026-01-01T00:00:" + String.format("%02d", seq % 60) + "Z");
        e.put("task", task);
        e.putAll(more);
        return e;
    }

    static JsonNode events(Registered a, List<Map<String, Object>> events) {
        var r = a.api().post("/v1/agent/events", Map.of("events", events));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    /** The task of the agent with this external id, from GET /v1/tasks. */
    static JsonNode task(Api admin, Registered a, String external) {
        for (JsonNode t : admin.get("/v1/tasks?agent=" + a.id() + "&limit=500").json().get("data")) {
            if (t.get("external_id").asText().equals(external)) {
                return admin.get("/v1/tasks/" + t.get("id").asText()).json();
            }
        }
        throw new AssertionError("no task " + external);
    }

    static long count(TestServer server, String sql, Object... params) {
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

    static List<String> strings(TestServer server, String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                List<String> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
    }

    /** A second project with an admin key, made directly in the database (keys hashed as the server does). */
    static Api project(TestServer server, String slug, String settings) {
        ApiKeys keys = new ApiKeys(server.db(), Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)));
        UUID id = UuidV7.next();
        String admin = "agents-" + slug + "-admin-0123456789";
        server.db().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO projects (id, slug, name, settings) VALUES (?, ?, ?, ?::jsonb)")) {
                ps.setObject(1, id);
                ps.setString(2, slug);
                ps.setString(3, slug);
                ps.setString(4, settings);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role)
                    VALUES (?, ?, 'test', ?, ?, 'owner')""")) {
                ps.setObject(1, UuidV7.next());
                ps.setObject(2, id);
                ps.setString(3, admin.substring(0, 8));
                ps.setBytes(4, keys.hash(admin));
                ps.executeUpdate();
            }
            return null;
        });
        return new Api(server.baseUrl(), admin);
    }
}
