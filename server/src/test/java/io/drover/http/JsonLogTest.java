package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.redact.RedactingJsonEncoder;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * DROVER_LOG_FORMAT=json (logback-json.xml, {@link RedactingJsonEncoder}): one JSON object per
 * line, whose {@code mdc} holds the run id and job of the run the server works on (an HTTP push
 * here) and the request id of the request it answers ({@code X-Request-Id}, taken from the caller
 * or made, and returned).
 */
@DroverTest
class JsonLogTest {
    static TestServer server;
    static Api api;
    static final List<JsonNode> lines = new CopyOnWriteArrayList<>();
    static AppenderBase<ILoggingEvent> appender;
    static final String[] LOGGERS = {"io.drover.http.HttpApi", "io.drover.dispatch.HttpPushDispatcher"};

    @BeforeAll
    static void capture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        RedactingJsonEncoder encoder = new RedactingJsonEncoder();
        encoder.setContext(ctx);
        encoder.setWithFormattedMessage(true); // as logback-json.xml sets it
        encoder.setWithMessage(false);
        encoder.start();
        appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                String line = new String(encoder.encode(e), StandardCharsets.UTF_8);
                assertThat(line.strip()).doesNotContain("\n"); // one object per line
                lines.add(io.drover.http.Json.read(line));
            }
        };
        appender.setContext(ctx);
        appender.start();
        for (String name : LOGGERS) {
            Logger l = ctx.getLogger(name);
            l.setLevel(Level.DEBUG);
            l.addAppender(appender);
        }
    }

    @AfterAll
    static void release() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        for (String name : LOGGERS) {
            Logger l = ctx.getLogger(name);
            l.detachAppender(appender);
            l.setLevel(null);
        }
    }

    private static JsonNode line(String containing) {
        return lines.stream().filter(l -> l.path("formattedMessage").asText().contains(containing)).findFirst()
                .orElse(null);
    }

    @Test
    void aPushedRunsLogLinesCarryItsRunIdAndJob() throws Exception {
        HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        endpoint.start();
        try {
            assertThat(api.post("/v1/jobs", Map.of("slug", "json-log-push", "execution", "http", "max_attempts", 1,
                    "endpoint_url", "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/run")).status())
                    .isEqualTo(201);
            String run = api.post("/v1/jobs/json-log-push/trigger", Map.of()).json().get("id").asText();
            Await.until("the push's log line", Duration.ofSeconds(30),
                    () -> line("push of run " + run + " (attempt 1) answered 500") != null);
            JsonNode l = line("push of run " + run + " (attempt 1) answered 500");
            assertThat(l.get("level").asText()).isEqualTo("DEBUG");
            assertThat(l.get("mdc").get("run_id").asText()).isEqualTo(run);
            assertThat(l.get("mdc").get("job").asText()).isEqualTo("json-log-push");
        } finally {
            endpoint.stop(0);
        }
    }

    @Test
    void requestsCarryTheirRequestIdInAnswersAndLogLines() throws Exception {
        assertThat(api.post("/v1/jobs", Map.of("slug", "json-log-req")).status()).isEqualTo(201);
        String run = api.post("/v1/jobs/json-log-req/trigger", Map.of()).json().get("id").asText();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> given = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/runs/" + run))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).header("X-Request-Id", "req-json-1").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(given.statusCode()).isEqualTo(200);
        assertThat(given.headers().firstValue("X-Request-Id")).hasValue("req-json-1");
        JsonNode l = lines.stream().filter(x -> x.path("mdc").path("request_id").asText().equals("req-json-1"))
                .findFirst().orElseThrow();
        assertThat(l.get("formattedMessage").asText()).isEqualTo("GET /v1/runs/{id} answered 200");
        assertThat(l.get("mdc").get("run_id").asText()).isEqualTo(run);

        // none given, or one that is not a plain token: a new one, returned (errors too)
        HttpResponse<String> made = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/runs/nope"))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).header("X-Request-Id", "a b").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(made.statusCode()).isEqualTo(404);
        String id = made.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).matches("[0-9a-f-]{36}");
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.headers().firstValue("X-Request-Id")).isPresent().get().isNotEqualTo(id);
        // the MDC is cleared after each request: a later background line does not carry it
        assertThat(lines.stream().filter(x -> x.path("mdc").path("request_id").asText().equals("req-json-1")))
                .hasSize(1);
    }
}
