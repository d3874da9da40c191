package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker against a scripted server older than the claim's {@code jobs} field: it refuses the
 * field as an unknown one (422), so the worker claims without it, and the run of a job the worker
 * has no handler for that then arrives is released (the attempt is not counted), never failed.
 */
class OlderServerTest {

    private static final String RUN_ID = "01a24df1-dd16-7158-9baf-20f3d792ae9a";

    private HttpServer server;
    private final List<String> claims = new CopyOnWriteArrayList<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger plainClaims = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static void answer(HttpExchange x, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private static String run(String status) {
        return "{\"id\":\"" + RUN_ID + "\",\"job_slug\":\"mystery\",\"queue\":\"default\",\"status\":\"" + status
                + "\",\"attempt\":1,\"max_attempts\":3,\"worker_id\":\"old-w\"}";
    }

    @Test
    void aRunOfAnUnknownJobIsGivenBackNotFailed() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = x.getRequestURI().getPath();
            calls.add(x.getRequestMethod() + " " + path);
            if (path.equals("/v1/worker/claim")) {
                claims.add(body);
                if (body.contains("\"jobs\"")) {
                    answer(x, 422, "{\"error\":{\"code\":\"unknown_field\",\"message\":\"unknown field jobs\","
                            + "\"details\":{\"field\":\"jobs\"}}}");
                } else if (plainClaims.getAndIncrement() == 0) {
                    answer(x, 200, "{\"data\":[" + run("executing") + "]}");
                } else {
                    try {
                        TimeUnit.MILLISECONDS.sleep(50); // a short long-poll that finds nothing
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    answer(x, 200, "{\"data\":[]}");
                }
            } else if (path.equals("/v1/runs/" + RUN_ID + "/release")) {
                answer(x, 200, run("queued"));
            } else if (path.equals("/v1/worker/heartbeat") || path.equals("/v1/worker/complete")) {
                answer(x, 200, "{\"data\":[]}");
            } else {
                answer(x, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\",\"details\":{}}}");
            }
        });
        server.start();
        DroverClient client = DroverClient.builder()
                .baseUrl("http://127.0.0.1:" + server.getAddress().getPort()).apiKey("test-key-0123456789").build();
        Worker worker = Worker.builder().client(client).workerId("old-w").claimWait(Duration.ofMillis(100))
                .handler("known", (ctx, payload) -> "ran").build();
        worker.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!calls.contains("POST /v1/runs/" + RUN_ID + "/release") && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10); // polling the recorded calls: the condition is awaited
            }
            assertThat(calls).as("the unknown run is released").contains("POST /v1/runs/" + RUN_ID + "/release");
            assertThat(claims.get(0)).as("the first claim names the handled jobs").contains("\"jobs\":[\"known\"]");
            assertThat(claims.subList(1, claims.size())).as("after the refusal, claims go without jobs")
                    .allMatch(b -> !b.contains("\"jobs\""));
            assertThat(calls).as("never failed, never completed")
                    .noneMatch(c -> c.endsWith("/fail") || c.equals("POST /v1/worker/complete"));
        } finally {
            worker.close();
            client.close();
        }
        assertThat(calls).noneMatch(c -> c.equals("POST /v1/worker/complete"));
    }
}
