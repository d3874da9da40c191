package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP behaviour beneath the routes: method-override headers change nothing, a wrong method on a
 * known path is a 405 with {@code Allow}, and every answer carries the security headers.
 */
class HttpBehaviourTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static TestServer server;
    static Api api;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        server = TestServer.start();
        api = new Api(server);
        assertThat(api.post("/v1/jobs", Map.of("slug", "hb", "queue", "hbq")).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> send(String method, String path, String key, Map<String, String> headers,
            String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void methodOverrideHeadersAreIgnored() throws Exception {
        for (String header : List.of("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")) {
            var r = send("GET", "/v1/jobs/hb", server.adminKey(), Map.of(header, "DELETE"), null);
            assertThat(r.statusCode()).as(header + ": " + r.body()).isEqualTo(200);
            assertThat(MAPPER.readTree(r.body()).get("slug").asText()).isEqualTo("hb");
            assertThat(api.get("/v1/jobs/hb").status()).as("the job survived " + header).isEqualTo(200);

            // nor does a POST turn into a PATCH
            var p = send("POST", "/v1/jobs/hb", server.adminKey(), Map.of(header, "PATCH",
                    "Content-Type", "application/json"), "{\"description\":\"changed\"}");
            assertThat(p.statusCode()).as(header + ": " + p.body()).isEqualTo(405);
            assertThat(api.get("/v1/jobs/hb").json().get("version").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aWrongMethodOnAKnownPathIs405WithAllowInTheErrorShape() throws Exception {
        Map<String, Set<String>> cases = Map.of(
                "/v1/runs", Set.of("GET"),
                "/v1/jobs", Set.of("GET", "POST"),
                "/v1/jobs/hb", Set.of("GET", "PATCH", "DELETE"),
                "/v1/jobs/hb/trigger", Set.of("POST"),
                "/healthz", Set.of("GET"));
        for (var c : cases.entrySet()) {
            for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE")) {
                if (c.getValue().contains(method)) {
                    continue;
                }
                var r = send(method, c.getKey(), server.adminKey(), Map.of(), null);
                assertThat(r.statusCode()).as(method + " " + c.getKey() + " -> " + r.body()).isEqualTo(405);
                Set<String> allow = Arrays.stream(r.headers().firstValue("Allow").orElse("").split(","))
                        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
                assertThat(allow).as(method + " " + c.getKey()).isEqualTo(new TreeSet<>(c.getValue()));
                JsonNode err = MAPPER.readTree(r.body()).get("error");
                assertThat(err.get("code").asText()).isEqualTo("method_not_allowed");
                assertThat(err.get("message").asText()).isNotEmpty();
            }
        }
        // an unknown path stays a 404
        var unknown = send("GET", "/v1/nothing-here", server.adminKey(), Map.of(), null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(MAPPER.readTree(unknown.body()).get("error").get("code").asText()).isNotEmpty();
        // the wrong method changed nothing
        assertThat(api.get("/v1/jobs/hb").status()).isEqualTo(200);
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() throws Exception {
        List<HttpResponse<String>> answers = List.of(
                send("GET", "/healthz", null, Map.of(), null),
                send("GET", "/openapi.json", null, Map.of(), null),
                send("GET", "/v1/jobs", server.adminKey(), Map.of(), null),
                send("GET", "/v1/jobs", null, Map.of(), null),
                send("GET", "/v1/nothing-here", server.adminKey(), Map.of(), null),
                send("PUT", "/v1/runs", server.adminKey(), Map.of(), null),
                send("POST", "/v1/jobs", server.adminKey(), Map.of(), "{not json"));
        for (var r : answers) {
            String what = r.request().method() + " " + r.request().uri().getPath() + " " + r.statusCode();
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(what).hasValue("nosniff");
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(what).hasValueSatisfying(csp ->
                    assertThat(csp).contains("default-src 'none'").contains("frame-ancestors 'none'"));
        }
        // Jetty's own answers (a URI it refuses before any route) too
        String raw = rawRequest("GET /v1/jobs/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400");
        assertThat(raw.toLowerCase()).contains("x-content-type-options: nosniff").contains("frame-ancestors 'none'");
    }

    @Test
    void authenticatedAndSecretCarryingAnswersAreNotStored() throws Exception {
        var created = send("POST", "/v1/api-keys", server.adminKey(), Map.of("Content-Type", "application/json"),
                "{\"name\":\"ci\",\"role\":\"viewer\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(MAPPER.readTree(created.body()).get("key").asText()).startsWith("drv_");
        var job = send("POST", "/v1/jobs", server.adminKey(), Map.of("Content-Type", "application/json"),
                "{\"slug\":\"hbpush\",\"execution\":\"http\",\"endpoint_url\":\"http://127.0.0.1:9/x\"}");
        assertThat(job.statusCode()).as(job.body()).isEqualTo(201);
        assertThat(MAPPER.readTree(job.body()).get("signing_secret").asText()).isNotEmpty();
        for (var r : List.of(created, job, send("GET", "/v1/jobs", server.adminKey(), Map.of(), null),
                send("GET", "/v1/runs?limit=1", server.adminKey(), Map.of(), null),
                send("POST", "/v1/auth/login", null, Map.of("Content-Type", "application/json"),
                        "{\"email\":\"nobody@example.com\",\"password\":\"x\"}"))) {
            assertThat(r.headers().firstValue("Cache-Control")).as(r.request().uri().getPath()).hasValue("no-store");
        }
    }

    @Test
    void a401SaysHowToAuthenticate() throws Exception {
        for (String key : new String[] {null, "drv_not-a-real-key-0000000000000000000000"}) {
            var r = send("GET", "/v1/jobs", key, Map.of(), null);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                    assertThat(v).startsWith("Bearer"));
            assertThat(MAPPER.readTree(r.body()).get("error").get("code").asText()).isNotEmpty();
        }
        // a 403 is not a 401: the key is known, its role is too low
        var viewer = MAPPER.readTree(send("POST", "/v1/api-keys", server.adminKey(),
                Map.of("Content-Type", "application/json"), "{\"name\":\"v\",\"role\":\"viewer\"}").body());
        var r = send("POST", "/v1/jobs", viewer.get("key").asText(), Map.of("Content-Type", "application/json"),
                "{\"slug\":\"nope\"}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
    }

    private static String rawRequest(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
