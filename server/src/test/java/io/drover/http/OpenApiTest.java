package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /openapi.json describes exactly the routes the server registers, in the shape of OpenAPI 3.1. */
@DroverTest
class OpenApiTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
            "trace");
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    static TestServer server;
    static JsonNode doc;

    @BeforeAll
    static void start() {
        var answer = new Api(server.baseUrl(), null).get("/openapi.json"); // no key needed
        assertThat(answer.status()).isEqualTo(200);
        doc = answer.json();
        assertThat(doc).as("/openapi.json is JSON").isNotNull();
    }

    private static Set<String> documented() {
        Set<String> out = new TreeSet<>();
        doc.get("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            if (METHODS.contains(op.getKey())) {
                out.add(op.getKey().toUpperCase() + " " + p.getKey());
            }
        }));
        return out;
    }

    private static Set<String> registered() {
        Set<String> out = new TreeSet<>();
        server.server().routes().forEach(r -> out.add(r.method() + " " + r.path()));
        return out;
    }

    @Test
    void theDocumentHasTheOpenApi31Shape() {
        assertThat(doc.path("openapi").asText()).startsWith("3.1.");
        assertThat(doc.path("info").path("title").isTextual()).isTrue();
        assertThat(doc.path("info").path("version").isTextual()).isTrue();
        assertThat(doc.path("paths").isObject()).isTrue();
        assertThat(doc.path("paths").size()).isPositive();
        assertThat(doc.path("components").path("securitySchemes").path("bearer").path("scheme").asText())
                .isEqualTo("bearer");
        Set<String> operationIds = new HashSet<>();
        doc.get("paths").properties().forEach(p -> {
            assertThat(p.getKey()).as("paths start with /").startsWith("/");
            Set<String> inPath = new TreeSet<>();
            Matcher m = PARAM.matcher(p.getKey());
            while (m.find()) {
                inPath.add(m.group(1));
            }
            p.getValue().properties().forEach(op -> {
                String where = op.getKey() + " " + p.getKey();
                assertThat(METHODS).as("operation keys are HTTP methods: " + where).contains(op.getKey());
                JsonNode o = op.getValue();
                assertThat(o.path("responses").isObject() && o.path("responses").size() > 0)
                        .as("responses of " + where).isTrue();
                assertThat(operationIds.add(o.path("operationId").asText()))
                        .as("operationId of " + where + " is unique").isTrue();
                Set<String> declared = new TreeSet<>();
                for (JsonNode param : o.path("parameters")) {
                    assertThat(param.path("in").asText()).isIn("path", "query", "header", "cookie");
                    if (param.path("in").asText().equals("path")) {
                        assertThat(param.path("required").asBoolean()).as("path parameters are required").isTrue();
                        declared.add(param.path("name").asText());
                    }
                }
                assertThat(declared).as("path parameters of " + where).isEqualTo(inPath);
                assertThat(o.path("security").isArray()).as("security of " + where).isTrue();
            });
        });
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() {
        Set<String> registered = registered();
        Set<String> documented = documented();
        List<String> undocumented = new ArrayList<>(registered);
        undocumented.removeAll(documented);
        List<String> phantom = new ArrayList<>(documented);
        phantom.removeAll(registered);
        assertThat(undocumented).as("routes missing from /openapi.json").isEmpty();
        assertThat(phantom).as("operations in /openapi.json that are no route").isEmpty();
        assertThat(registered).contains("POST /v1/jobs", "GET /v1/runs/{id}", "POST /v1/worker/claim", "GET /healthz");
    }

    @Test
    void documentedOperationsAnswerAndTheirAuthMatchesTheDocument() {
        // every documented operation exists on the wire: without a key it is 401 (secured) or not an auth error
        Api anonymous = new Api(server.baseUrl(), null);
        for (Route r : server.server().routes()) {
            JsonNode op = doc.path("paths").path(r.path()).path(r.method().toLowerCase());
            String path = r.path().replaceAll("\\{[^}]+}", "01a00000-0000-7000-8000-000000000000");
            var answer = anonymous.send(r.method(), path, r.method().equals("GET") ? null : Map.of());
            assertThat(answer.status()).as(r.method() + " " + path + " is served").isNotIn(405, 500);
            assertThat(answer.status() == 404 ? answer.errorCode() : "served").as(r.method() + " " + path + " is served")
                    .isNotEqualTo("route_not_found");
            boolean secured = op.path("security").size() > 0;
            assertThat(secured).as("security of " + r.method() + " " + r.path()).isEqualTo(r.needsCaller());
            if (secured) {
                assertThat(answer.status()).as(r.method() + " " + path + " without a key").isEqualTo(401);
                assertThat(op.path("x-drover-min-role").asText())
                        .isEqualTo(r.role() == null ? "any signed-in caller" : r.role().db());
            } else if (r.path().startsWith("/v1/agent/")) {
                // the agent protocol: the agent's token, not an API key, checked by the route itself
                assertThat(answer.status()).as(r.method() + " " + path + " without a token").isEqualTo(401);
            } else if (r.method().equals("GET")) {
                assertThat(answer.status()).as(r.method() + " " + path + " without a key").isEqualTo(200);
            } else if (r.path().startsWith("/v1/ingest/")) {
                // inbound events: a source id no source has is a 404 before any body is looked at
                assertThat(answer.status()).as(r.method() + " " + path + " without a key").isEqualTo(404);
            } else {
                // public writes (log in, accept an invitation, reset a password) refuse an empty body
                assertThat(answer.status()).as(r.method() + " " + path + " without a key").isIn(400, 422);
            }
        }
    }
}
