package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.http.Route;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every route of the server's own route table, called by every role, as an API key and as a
 * signed-in user: a role below the route's minimum gets 403, a role at or above it never gets 401
 * or 403 (bodies are empty, so allowed writes end in validation errors or 404s, not changes).
 */
@DroverTest
class RoleMatrixTest {
    /** Routes that need no caller at all; anything else must name a role or be an account route. */
    static final Set<String> PUBLIC = Set.of("GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json",
            "POST /v1/auth/login", "POST /v1/invitations/accept", "POST /v1/password-resets",
            "POST /v1/ingest/{source_id}", // outside systems: the source's signature, not an API key
            // agents: their own token (AgentProtocolRoutes checks it), not an API key
            "POST /v1/agent/hello", "POST /v1/agent/heartbeat", "POST /v1/agent/events", "POST /v1/agent/schedules",
            "GET /v1/agent/commands", "POST /v1/agent/commands/{id}/ack", "POST /v1/agent/commands/{id}/result",
            "POST /v1/password-resets/confirm");
    static final List<String> ROLES = List.of("viewer", "operator", "admin", "owner");

    static TestServer server;
    static String projectId;
    static Map<String, Function<Route, Api.Answer>> callers = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        Api admin = new Api(server);
        projectId = admin.get("/v1/me").json().get("project_id").asText();
        assertThat(admin.post("/v1/jobs", Map.of("slug", "matrix-job")).status()).isEqualTo(201);
        // the project has no owner yet, so the bootstrap admin key may invite the first one
        Browser owner = IdentityKit.member(server, admin, "owner@example.com", "owner");
        for (String role : ROLES) {
            String key = role.equals("owner") ? IdentityKit.key(owner, "owner") : IdentityKit.key(admin, role);
            Api api = admin.withKey(key);
            callers.put(role + " key", r -> api.send(r.method(), path(r), body(r)));
            Browser user = role.equals("owner") ? owner
                    : IdentityKit.member(server, owner, role + "@example.com", role);
            callers.put(role + " user", r -> user.send(r.method(), path(r), body(r)));
        }
    }

    static String path(Route r) {
        return r.path().replace("{project}", projectId).replace("{job}", "matrix-job").replace("{name}", "NO_SUCH")
                .replaceAll("\\{[a-z_]+}", UUID.randomUUID().toString());
    }

    static Object body(Route r) {
        return r.method().equals("GET") || r.method().equals("DELETE") ? null : Map.of();
    }

    @Test
    void everyRouteIsPublicByNameOrGuarded() {
        for (Route r : server.server().routes()) {
            if (!r.needsCaller()) {
                assertThat(PUBLIC).as("route without a role: " + r.method() + " " + r.path())
                        .contains(r.method() + " " + r.path());
            }
        }
    }

    @Test
    void everyRouteTimesEveryRole() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Route r : server.server().routes()) {
            if (r.role() == null) {
                continue;
            }
            for (var caller : callers.entrySet()) {
                String role = caller.getKey().split(" ")[0];
                boolean allowed = io.drover.access.Role.fromDb(role).atLeast(r.role());
                if (allowed && r.path().equals("/v1/stream")) {
                    continue; // 200 and never ends (server-sent events): AuthTest and EventStreamTest check it
                }
                Api.Answer a = caller.getValue().apply(r);
                checked++;
                boolean ok = allowed ? a.status() != 401 && a.status() != 403 && a.status() < 500
                        : a.status() == 403 && "forbidden".equals(a.errorCode());
                if (!ok) {
                    wrong.add(caller.getKey() + " " + r.method() + " " + r.path() + " (min " + r.role().db() + ") -> "
                            + a.status() + " " + a.text());
                }
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(checked).isGreaterThan(200);
    }

    @Test
    void theOpenApiDocumentListsEveryRouteWithItsRole() {
        var doc = new Api(server.baseUrl(), null).get("/openapi.json").json();
        for (Route r : server.server().routes()) {
            var op = doc.at("/paths/" + r.path().replace("~", "~0").replace("/", "~1") + "/" + r.method().toLowerCase());
            assertThat(op.isMissingNode()).as(r.method() + " " + r.path()).isFalse();
            if (r.role() != null) {
                assertThat(op.get("x-drover-min-role").asText()).isEqualTo(r.role().db());
            }
        }
        assertThat(doc.at("/components/securitySchemes/session/in").asText()).isEqualTo("cookie");
    }

    @Test
    void accountRoutesNeedACallerButNoRole() {
        Api none = new Api(server.baseUrl(), null);
        for (Route r : server.server().routes()) {
            if (r.account() && r.method().equals("GET")) {
                assertThat(none.get(r.path()).status()).isEqualTo(401);
                for (var caller : callers.values()) {
                    assertThat(caller.apply(r).status()).isEqualTo(200);
                }
            }
        }
    }
}
