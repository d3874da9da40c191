package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad input to the identity endpoints: a clear 4xx in the error shape, and nothing written. */
@DroverTest
class BadInputTest {
    static TestServer server;
    static Api admin;

    record Case(String method, String path, Object body, int status) {}

    @Test
    void badInputIsA4xxAndWritesNothing() {
        String project = admin.get("/v1/me").json().get("project_id").asText();
        String key = admin.post("/v1/api-keys", Map.of("name", "k", "role", "viewer")).json().get("id").asText();
        long before = auditRows();
        List<Case> cases = List.of(
                new Case("POST", "/v1/auth/login", "{not json", 400),
                new Case("POST", "/v1/auth/login", Map.of("email", 5, "password", "x"), 400),
                new Case("POST", "/v1/auth/login", Map.of("email", "a@b.c"), 422),
                new Case("POST", "/v1/auth/login", Map.of("email", "a@b.c", "password", "x", "remember", true), 422),
                new Case("POST", "/v1/invitations", Map.of("email", "a@b.c", "role", "god"), 422),
                new Case("POST", "/v1/invitations", Map.of("email", "not-an-email"), 422),
                new Case("POST", "/v1/invitations", List.of(1, 2), 400),
                new Case("POST", "/v1/invitations/accept", Map.of("token", 1), 400),
                new Case("POST", "/v1/invitations/accept", Map.of("token", "dri_nope", "password", "x"), 404),
                new Case("POST", "/v1/password-resets/confirm", Map.of("token", "drp_x", "password", "y"), 404),
                new Case("POST", "/v1/api-keys", Map.of("name", "x", "expires_at", "tomorrow"), 422),
                new Case("POST", "/v1/api-keys", Map.of("name", "x", "expires_at", "2001-01-01T00:00:00Z"), 422),
                new Case("POST", "/v1/api-keys/" + key + "/rotate", Map.of("grace_secs", -1), 422),
                new Case("POST", "/v1/api-keys/" + key + "/rotate", Map.of("grace_secs", "soon"), 400),
                new Case("PATCH", "/v1/projects/" + project, Map.of("settings", Map.of("retention_days", 0)), 422),
                new Case("PATCH", "/v1/projects/" + project, Map.of("settings", Map.of("colour", "red")), 422),
                new Case("PATCH", "/v1/projects/" + project, Map.of("settings", "all"), 400),
                new Case("PATCH", "/v1/projects/" + project + "/members/" + key, Map.of("role", "viewer"), 404),
                new Case("PATCH", "/v1/projects/" + project + "/members/" + key, Map.of("role", "boss"), 422),
                new Case("POST", "/v1/secrets", Map.of("name", "A", "value", 12), 400),
                new Case("POST", "/v1/secrets", Map.of("name", "A", "value", "v", "environment", "Prod!"), 422),
                new Case("GET", "/v1/secrets?environment=..", null, 422),
                new Case("GET", "/v1/audit-events?limit=0", null, 400),
                new Case("GET", "/v1/audit-events?until=2026-13-01", null, 400),
                new Case("POST", "/v1/jobs", Map.of("slug", "h", "execution", "http", "endpoint_url", "http://x.test/",
                        "headers", Map.of("Host", "evil")), 422),
                new Case("POST", "/v1/jobs", Map.of("slug", "h", "execution", "http", "endpoint_url", "http://x.test/",
                        "headers", Map.of("X-A", "line\r\nInjected: yes")), 422));
        for (Case c : cases) {
            var a = admin.send(c.method(), c.path(), c.body());
            assertThat(a.status()).as(c.method() + " " + c.path() + " " + c.body() + " -> " + a.text()).isEqualTo(c.status());
            assertThat(a.json().at("/error/code").asText()).isNotEmpty();
            assertThat(a.json().at("/error/message").asText()).isNotEmpty();
            assertThat(a.json().at("/error/details").isObject()).isTrue();
        }
        assertThat(auditRows()).isEqualTo(before);
    }

    static long auditRows() {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM audit_log"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
