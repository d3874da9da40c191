package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One project's keys and users never see another project's rows, in any list or get. */
@DroverTest
class IsolationTest {
    static TestServer server;
    static Api a;
    static Api b;
    static Browser bobInB;
    static String projectA;
    static String projectB;
    static Map<String, String> idsInA;

    @BeforeAll
    static void start() {
        a = new Api(server);
        projectA = a.get("/v1/me").json().get("project_id").asText();
        // everything a project can hold, in A
        String job = a.post("/v1/jobs", Map.of("slug", "secret-plans")).json().get("id").asText();
        String run = a.post("/v1/jobs/secret-plans/trigger", Map.of("payload", Map.of("x", 1))).json().get("id").asText();
        String key = a.post("/v1/api-keys", Map.of("name", "a-key", "role", "viewer")).json().get("id").asText();
        a.post("/v1/secrets", Map.of("name", "A_ONLY", "value", "a-secret-value"));
        String inv = a.post("/v1/invitations", Map.of("email", "invitee@example.com", "role", "viewer")).json()
                .get("id").asText();
        idsInA = Map.of("job", job, "run", run, "key", key, "invitation", inv);

        // bob is a viewer in A and creates project B, where he is owner
        bobInB = IdentityKit.member(server, a, "bob@example.com", "viewer");
        var created = bobInB.post("/v1/projects", Map.of("slug", "bee", "name", "B"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        projectB = created.json().get("id").asText();
        bobInB.project = "bee";
        b = a.withKey(IdentityKit.key(bobInB, "admin"));
        b.post("/v1/jobs", Map.of("slug", "b-job"));
    }

    @Test
    void listsShowOnlyTheCallersProject() {
        for (Object caller : List.of(b, bobInB)) {
            for (String path : List.of("/v1/jobs", "/v1/runs", "/v1/api-keys", "/v1/secrets", "/v1/audit-events",
                    "/v1/invitations", "/v1/projects/" + projectB + "/members", "/v1/audit-events/export")) {
                var r = caller instanceof Api api ? api.get(path) : ((Browser) caller).get(path);
                assertThat(r.status()).as(path).isEqualTo(200);
                assertThat(r.text()).as(path).doesNotContain(projectA).doesNotContain("secret-plans")
                        .doesNotContain("A_ONLY").doesNotContain("invitee@example.com");
                for (String id : idsInA.values()) {
                    assertThat(r.text()).as(path).doesNotContain(id);
                }
            }
        }
        assertThat(b.get("/v1/projects").json().get("data")).hasSize(1);
        assertThat(b.get("/v1/projects").text()).doesNotContain(projectA);
    }

    @Test
    void getsOfAnotherProjectsRowsAre404() {
        for (String path : List.of("/v1/jobs/secret-plans", "/v1/jobs/" + idsInA.get("job"),
                "/v1/jobs/" + idsInA.get("job") + "/versions", "/v1/runs/" + idsInA.get("run"),
                "/v1/runs/" + idsInA.get("run") + "/events", "/v1/api-keys/" + idsInA.get("key"),
                "/v1/secrets/A_ONLY", "/v1/projects/" + projectA, "/v1/projects/default/members")) {
            assertThat(b.get(path).status()).as(path).isEqualTo(404);
        }
        assertThat(b.post("/v1/runs/" + idsInA.get("run") + "/cancel", null).status()).isEqualTo(404);
        assertThat(b.delete("/v1/api-keys/" + idsInA.get("key")).status()).isEqualTo(404);
        assertThat(b.delete("/v1/invitations/" + idsInA.get("invitation")).status()).isEqualTo(404);
        assertThat(b.delete("/v1/secrets/A_ONLY").status()).isEqualTo(404);
        // nor by naming the other project in the path
        assertThat(a.get("/v1/projects/" + projectB).status()).isEqualTo(404);
        assertThat(a.get("/v1/projects/bee/members").status()).isEqualTo(404);
    }

    @Test
    void aUserSeesEachOfTheirProjectsWithTheirRoleThere() {
        bobInB.project = "default";
        assertThat(bobInB.get("/v1/jobs").text()).contains("secret-plans");
        // viewer in A: cannot write there, even though owner in B
        assertThat(bobInB.post("/v1/jobs", Map.of("slug", "nope")).status()).isEqualTo(403);
        bobInB.project = "bee";
        assertThat(bobInB.get("/v1/jobs").text()).contains("b-job").doesNotContain("secret-plans");
        var me = bobInB.get("/v1/me");
        assertThat(me.json().get("memberships")).hasSize(2);
        // a project he is not in does not exist for him
        Browser carol = IdentityKit.member(server, a, "carol@example.com", "admin");
        carol.project = "bee";
        assertThat(carol.get("/v1/jobs").status()).isEqualTo(404);
        assertThat(carol.get("/v1/projects/" + projectB).status()).isEqualTo(404);
    }
}
