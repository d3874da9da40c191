package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Names people read (API keys, projects, display names) must hold more than white space. */
class EmptyNamesTest {
    static final List<String> EMPTY = List.of("", " ", "\t\n", "\u2003");
    static TestServer server;
    static Api admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = new Api(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void refused(Api.Answer a, String field, Snapshot before) {
        assertThat(a.status()).as(a.text()).isEqualTo(422);
        assertThat(a.errorCode()).isEqualTo("validation_failed");
        assertThat(a.json().path("error").path("details").path("field").asText()).isEqualTo(field);
        assertThat(Snapshot.of(server.db()).diff(before)).isEmpty();
    }

    @Test
    void apiKeyNamesMustNotBeEmpty() {
        for (String name : EMPTY) {
            Snapshot before = Snapshot.of(server.db());
            refused(admin.post("/v1/api-keys", Map.of("name", name, "role", "viewer")), "name", before);
        }
        var ok = admin.post("/v1/api-keys", Map.of("name", "  ci  ", "role", "viewer"));
        assertThat(ok.status()).as(ok.text()).isEqualTo(201);
        assertThat(ok.json().get("name").asText()).isEqualTo("ci");
    }

    @Test
    void projectNamesMustNotBeEmpty() {
        Browser owner = IdentityKit.member(server, admin, "names@example.com", "owner");
        String project = admin.get("/v1/me").json().get("project_id").asText();
        for (String name : EMPTY) {
            Snapshot before = Snapshot.of(server.db());
            refused(owner.post("/v1/projects", Map.of("slug", "empty-name", "name", name)), "name", before);
            refused(owner.send("PATCH", "/v1/projects/" + project, Map.of("name", name)), "name", before);
        }
        var created = owner.post("/v1/projects", Map.of("slug", "named", "name", " Named "));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("name").asText()).isEqualTo("Named");
        // without a name, the slug names the project, as before
        var bySlug = owner.post("/v1/projects", Map.of("slug", "by-slug"));
        assertThat(bySlug.status()).as(bySlug.text()).isEqualTo(201);
        assertThat(bySlug.json().get("name").asText()).isEqualTo("by-slug");
    }

    @Test
    void displayNamesOnAcceptingAnInvitationMustNotBeEmpty() {
        assertThat(admin.post("/v1/invitations", Map.of("email", "dn@example.com", "role", "viewer")).status())
                .isEqualTo(201);
        String token = IdentityKit.lastToken(server, "dn@example.com");
        Browser b = new Browser(server.baseUrl());
        Snapshot before = Snapshot.of(server.db());
        refused(b.post("/v1/invitations/accept", Map.of("token", token, "password", IdentityKit.PASSWORD,
                "display_name", "   ")), "display_name", before);
        var ok = b.post("/v1/invitations/accept", Map.of("token", token, "password", IdentityKit.PASSWORD,
                "display_name", "Dee"));
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
    }
}
