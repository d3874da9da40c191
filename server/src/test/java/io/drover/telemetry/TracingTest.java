package io.drover.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.client.DroverClient;
import io.drover.client.Worker;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry (issue 17, item 7): a W3C traceparent given at trigger (header or body field) is
 * stored on the run, shown in its JSON and in claim answers, sent with HTTP push, and the server's
 * spans (trigger, claim, push, completion; recorded here by an in-memory exporter) continue its
 * trace; the SDK worker continues it around the handler and has it in the MDC.
 */
@DroverTest
class TracingTest {
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT = "00f067aa0ba902b7";
    static final String TP = "00-" + TRACE + "-" + PARENT + "-01";
    static TestServer server;
    static Api api;
    static final InMemorySpanExporter spans = InMemorySpanExporter.create();
    static OpenTelemetrySdk sdk;

    @BeforeAll
    static void tracer() {
        sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        server.server().tracing().use(sdk);
    }

    @AfterAll
    static void off() {
        server.server().tracing().use(null);
        sdk.close();
    }

    @BeforeEach
    void clear() {
        spans.reset();
    }

    private static HttpResponse<String> trigger(String job, String body, String traceparent) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/jobs/" + job + "/trigger"))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (traceparent != null) {
            b.header("traceparent", traceparent);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<SpanData> named(String name) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    }

    private static void childOfTheGivenParent(SpanData s) {
        assertThat(s.getTraceId()).as(s.getName()).isEqualTo(TRACE);
        assertThat(s.getParentSpanId()).as(s.getName()).isEqualTo(PARENT);
    }

    @Test
    void theTraceparentOfTheHeaderIsStoredClaimedAndContinuedBySpans() throws Exception {
        assertThat(api.post("/v1/jobs", Map.of("slug", "traced", "queue", "tq")).status()).isEqualTo(201);
        var made = trigger("traced", "{}", TP);
        assertThat(made.statusCode()).isEqualTo(201);
        String run = Json.read(made.body()).get("id").asText();
        assertThat(Json.read(made.body()).get("traceparent").asText()).isEqualTo(TP);
        assertThat(api.get("/v1/runs/" + run).json().get("traceparent").asText()).isEqualTo(TP);

        JsonNode claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("tq"))).json()
                .get("data").get(0);
        assertThat(claimed.get("id").asText()).isEqualTo(run);
        assertThat(claimed.get("traceparent").asText()).isEqualTo(TP);
        assertThat(api.post("/v1/worker/complete", Map.of("worker_id", "w", "results", List.of(Map.of("run_id", run,
                "result", 1)))).status()).isEqualTo(200);

        for (String name : List.of("drover.trigger", "drover.claim", "drover.complete")) {
            assertThat(named(name)).as(name).hasSize(1);
            childOfTheGivenParent(named(name).get(0));
            assertThat(named(name).get(0).getAttributes().asMap().toString()).contains(run);
        }
    }

    @Test
    void theBodyFieldWinsABatchTakesTheHeaderAndBadValuesAreRefusedOrIgnored() throws Exception {
        assertThat(api.post("/v1/jobs", Map.of("slug", "traced-b", "queue", "tqb")).status()).isEqualTo(201);
        String other = "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-00";
        var r = trigger("traced-b", "{\"traceparent\": \"" + other + "\"}", TP);
        assertThat(Json.read(r.body()).get("traceparent").asText()).isEqualTo(other);
        // a header that is not a traceparent is ignored (W3C); a body field that is not one is refused
        var ignored = trigger("traced-b", "{}", "00-nope");
        assertThat(ignored.statusCode()).isEqualTo(201);
        assertThat(Json.read(ignored.body()).get("traceparent").isNull()).isTrue();
        for (String bad : List.of("00-" + "0".repeat(32) + "-" + PARENT + "-01", "ff-" + TRACE + "-" + PARENT + "-01",
                TP.toUpperCase(), TP + "-x", "x")) {
            var refused = api.post("/v1/jobs/traced-b/trigger", Map.of("traceparent", bad));
            assertThat(refused.status()).as(bad).isEqualTo(422);
            assertThat(refused.json().get("error").get("details").get("field").asText()).isEqualTo("traceparent");
        }
        var batch = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                        + "/v1/jobs/traced-b/trigger/batch")).header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                .header("traceparent", TP).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"runs\": [{}, {\"traceparent\": \"" + other + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode data = Json.read(batch.body()).get("data");
        assertThat(data.get(0).get("traceparent").asText()).isEqualTo(TP);
        assertThat(data.get(1).get("traceparent").asText()).isEqualTo(other);
        // runs without a trace context: no spans for them
        spans.reset();
        assertThat(api.post("/v1/jobs/traced-b/trigger", Map.of()).json().get("traceparent").isNull()).isTrue();
        assertThat(spans.getFinishedSpanItems()).isEmpty();
    }

    @Test
    void anHttpPushCarriesTheTraceUnderItsPushSpan() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            received.add(ex.getRequestHeaders().getFirst("traceparent"));
            byte[] ok = "{}".getBytes();
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        endpoint.start();
        try {
            assertThat(api.post("/v1/jobs", Map.of("slug", "traced-push", "execution", "http", "endpoint_url",
                    "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/run")).status()).isEqualTo(201);
            String run = Json.read(trigger("traced-push", "{}", TP).body()).get("id").asText();
            api.awaitStatus("/v1/runs/" + run, "completed");
            Await.until("the push span", Duration.ofSeconds(10), () -> named("drover.push").size() == 1);
            SpanData push = named("drover.push").get(0);
            childOfTheGivenParent(push);
            assertThat(received).containsExactly("00-" + TRACE + "-" + push.getSpanId() + "-01");

            // tracing off: the stored traceparent goes as it was given, and no span is made
            server.server().tracing().use(null);
            spans.reset();
            String second = Json.read(trigger("traced-push", "{}", TP).body()).get("id").asText();
            api.awaitStatus("/v1/runs/" + second, "completed");
            assertThat(received).hasSize(2).last().isEqualTo(TP);
            assertThat(spans.getFinishedSpanItems()).isEmpty();
        } finally {
            server.server().tracing().use(sdk);
            endpoint.stop(0);
        }
    }

    @Test
    void theSdkWorkerContinuesTheTraceAroundTheHandlerAndPutsItInTheMdc() throws Exception {
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.set(sdk);
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (DroverClient client = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey())
                .build()) {
            assertThat(api.post("/v1/jobs", Map.of("slug", "traced-sdk", "queue", "tsdk")).status()).isEqualTo(201);
            Worker worker = Worker.builder().client(client).queue("tsdk").claimWait(Duration.ofSeconds(1))
                    .handler("traced-sdk", (ctx, payload) -> {
                        seen.put("ctx", String.valueOf(ctx.traceparent()));
                        seen.put("mdc", String.valueOf(org.slf4j.MDC.get("traceparent")));
                        seen.put("trace", Span.current().getSpanContext().getTraceId());
                        return 1;
                    }).build();
            worker.start();
            try {
                String run = Json.read(trigger("traced-sdk", "{}", TP).body()).get("id").asText();
                api.awaitStatus("/v1/runs/" + run, "completed");
            } finally {
                worker.close();
            }
        } finally {
            GlobalOpenTelemetry.resetForTest();
        }
        assertThat(seen).containsEntry("ctx", TP).containsEntry("mdc", TP).containsEntry("trace", TRACE);
        Await.until("the worker's span", Duration.ofSeconds(10), () -> named("drover.run traced-sdk").size() == 1);
        childOfTheGivenParent(named("drover.run traced-sdk").get(0));
        assertThat(org.slf4j.MDC.get("traceparent")).isNull();
    }
}
