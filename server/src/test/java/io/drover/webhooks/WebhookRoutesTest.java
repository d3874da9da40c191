package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/webhooks}: create, list, get, change, rotate, delete; the secret in two answers only
 * and sealed at rest; bad input refused with a 4xx in the error shape and nothing stored; the
 * outbound guard at creation and change; audit rows. Roles on every route: AuthTest.
 */
@DroverTest(env = "DROVER_OUTBOUND_ALLOW=127.0.0.1/32")
class WebhookRoutesTest {
    static TestServer server;
    static Api api;

    @Test
    void createListGetChangeRotateDelete() {
        var made = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/crud", "event_types",
                List.of("run.completed", "workflow_run.*"), "description", "ops"));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        JsonNode w = made.json();
        String id = w.get("id").asText();
        String secret = w.get("secret").asText();
        assertThat(secret).startsWith("whsec_");
        assertThat(java.util.Base64.getDecoder().decode(secret.substring(6))).hasSize(24);
        assertThat(w.get("enabled").asBoolean()).isTrue();
        assertThat(w.get("event_types").toString()).isEqualTo("[\"run.completed\",\"workflow_run.*\"]");

        // never shown again, and not stored in the clear
        JsonNode got = api.get("/v1/webhooks/" + id).json();
        assertThat(got.has("secret")).isFalse();
        assertThat(got.get("url").asText()).isEqualTo("http://127.0.0.1:9/crud");
        assertThat(api.get("/v1/webhooks").text()).doesNotContain(secret).contains(id);
        String stored = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT encode(secret, 'escape') || '' FROM webhooks WHERE id = '" + id + "'")) {
                rs.next();
                return rs.getString(1);
            }
        });
        assertThat(stored).doesNotContain(secret.substring(6));

        var changed = api.patch("/v1/webhooks/" + id, Map.of("enabled", false, "event_types", List.of("*")));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().get("enabled").asBoolean()).isFalse();
        assertThat(changed.json().get("description").asText()).isEqualTo("ops");
        assertThat(changed.json().has("secret")).isFalse();

        var rotated = api.post("/v1/webhooks/" + id + "/rotate-secret", null);
        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.json().get("secret").asText()).startsWith("whsec_").isNotEqualTo(secret);

        assertThat(api.delete("/v1/webhooks/" + id).status()).isEqualTo(200);
        assertThat(api.get("/v1/webhooks/" + id).status()).isEqualTo(404);
        assertThat(api.delete("/v1/webhooks/" + id).status()).isEqualTo(404);

        List<String> actions = server.db().read(c -> {
            List<String> out = new ArrayList<>();
            try (ResultSet rs = c.createStatement().executeQuery("SELECT action, details::text FROM audit_log "
                    + "WHERE target_id = '" + id + "' ORDER BY seq")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                    assertThat(rs.getString(2)).doesNotContain("whsec_");
                }
            }
            return out;
        });
        assertThat(actions).containsExactly("webhook.create", "webhook.update", "webhook.rotate_secret",
                "webhook.delete");
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        String id = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/bad")).json().get("id").asText();
        String w = "/v1/webhooks/" + id;
        record Bad(String method, String path, Object body, int status, String code) {}
        List<Bad> bad = List.of(
                new Bad("POST", "/v1/webhooks", Map.of(), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", "{not json", 400, null),
                new Bad("POST", "/v1/webhooks", Map.of("url", 5), 400, null),
                new Bad("POST", "/v1/webhooks", Map.of("url", "ftp://example.com/x"), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "not a url"), 422, "validation_failed"),
                // the outbound guard: not public and not allowed by DROVER_OUTBOUND_ALLOW
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://10.0.0.1/x"), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://169.254.169.254/latest"), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://localhost:9/x"), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/x", "event_types", "run.*"), 400, null),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/x", "event_types",
                        List.of("Run Completed")), 422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/x", "event_types", List.of("")),
                        422, "validation_failed"),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/x", "enabled", "yes"), 400, null),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/x", "secret", "whsec_AAAA"), 422, null),
                new Bad("POST", "/v1/webhooks", Map.of("url", "http://127.0.0.1:9/" + "x".repeat(3000)), 422,
                        "validation_failed"),
                new Bad("PATCH", w, Map.of("url", "http://10.1.2.3/x"), 422, "validation_failed"),
                new Bad("PATCH", w, Map.of("enabled", 1), 400, null),
                new Bad("PATCH", w, Map.of("unknown", 1), 422, null),
                new Bad("PATCH", "/v1/webhooks/" + UUID.randomUUID(), Map.of("enabled", true), 404, "not_found"),
                new Bad("PATCH", "/v1/webhooks/nope", Map.of("enabled", true), 404, "not_found"),
                new Bad("GET", "/v1/webhooks/nope", null, 404, "not_found"),
                new Bad("GET", w + "/deliveries?status=lost", null, 400, "invalid_parameter"),
                new Bad("GET", w + "/deliveries?limit=0", null, 400, "invalid_parameter"),
                new Bad("GET", w + "/deliveries?cursor=bm90LWEtdXVpZA", null, 400, null),
                new Bad("GET", "/v1/webhooks/" + UUID.randomUUID() + "/deliveries", null, 404, "not_found"),
                new Bad("POST", w + "/rotate-secret", Map.of("secret", "x"), 422, null),
                new Bad("POST", "/v1/webhook-deliveries/" + UUID.randomUUID() + "/replay", Map.of(), 404, "not_found"),
                new Bad("POST", "/v1/webhook-deliveries/x/replay", Map.of(), 404, "not_found"));
        for (Bad b : bad) {
            Snapshot before = Snapshot.of(server.db());
            var answer = api.send(b.method(), b.path(), b.body());
            String what = b.method() + " " + b.path() + " " + b.body();
            assertThat(answer.status()).as(what + ": " + answer.text()).isEqualTo(b.status());
            if (b.code() != null) {
                assertThat(answer.errorCode()).as(what).isEqualTo(b.code());
            }
            assertThat(answer.json().get("error").get("message").asText()).as(what).isNotBlank();
            assertThat(before.diff(Snapshot.of(server.db()))).as(what + " changed nothing").isEmpty();
        }
        // the field is named
        var named = api.post("/v1/webhooks", Map.of("url", "http://10.0.0.1/x"));
        assertThat(named.json().get("error").get("details").toString()).contains("url");
    }

    @Test
    void deliveriesArePaginated() {
        String id = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/pages", "enabled", false))
                .json().get("id").asText();
        UUID project = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT project_id FROM webhooks WHERE id = '"
                    + id + "'")) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
        server.db().read(c -> c.createStatement().executeUpdate("""
                INSERT INTO webhook_deliveries (id, project_id, webhook_id, event_id, event_type, payload,
                                                status, next_attempt_at, finished_at)
                SELECT gen_random_uuid(), '%s', '%s', 'ev_' || i, 'run.completed', '{}',
                       CASE WHEN i %% 2 = 0 THEN 'succeeded' ELSE 'dead' END, now(), now()
                FROM generate_series(1, 7) i""".formatted(project, id)));
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = api.get("/v1/webhooks/" + id + "/deliveries?limit=3"
                    + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("data").forEach(d -> seen.add(d.get("event_id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(7).doesNotHaveDuplicates();
        assertThat(api.get("/v1/webhooks/" + id + "/deliveries?status=dead").json().get("data")).hasSize(4);
        assertThat(api.get("/v1/webhooks/" + id + "/deliveries?status=succeeded").json().get("data")).hasSize(3);
        assertThat(api.get("/v1/webhooks/" + id + "/deliveries?status=pending").json().get("data")).isEmpty();
    }
}
