package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent while Drover is away: recording never blocks, events wait in the buffer, and once
 * Drover answers again every event arrives, in order, each once (resends carry the same seqs).
 * Drover is played by a small receiver that refuses with 503 while "down", as a proxy in front of a
 * restarting server does; the server's own de-duplication is tested against the real server.
 */
class OutageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private volatile boolean down = true;
    private final List<Long> received = new CopyOnWriteArrayList<>();
    private final Set<Long> seen = ConcurrentHashMap.newKeySet();
    private final List<Long> resent = new CopyOnWriteArrayList<>();
    private volatile int refusals;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private String start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void answer(HttpExchange x) throws IOException {
        byte[] body = x.getRequestBody().readAllBytes();
        String path = x.getRequestURI().getPath();
        String reply;
        int status = 200;
        if (down) {
            refusals++;
            status = 503;
            reply = "{\"error\":{\"code\":\"unavailable\",\"message\":\"down\"}}";
        } else if (path.equals("/v1/agent/hello")) {
            reply = "{\"agent_id\":\"a1\",\"heartbeat_interval_ms\":10000,\"offline_after_ms\":30000}";
        } else if (path.equals("/v1/agent/events")) {
            int accepted = 0;
            int duplicates = 0;
            for (JsonNode e : JSON.readTree(body).path("events")) {
                long seq = e.path("seq").asLong();
                if (seen.add(seq)) {
                    received.add(seq);
                    accepted++;
                } else {
                    resent.add(seq);
                    duplicates++;
                }
            }
            reply = "{\"accepted\":" + accepted + ",\"duplicates\":" + duplicates + "}";
        } else if (path.equals("/v1/agent/commands")) {
            reply = "{\"data\":[]}";
        } else {
            reply = "{\"state\":\"online\"}";
        }
        byte[] out = reply.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    @Test
    void eventsRecordedWhileDroverIsDownArriveOnceAndInOrderWhenItIsBack() throws Exception {
        String url = start();
        List<Long> seqs = new ArrayList<>();
        try (DroverAgent agent = DroverAgent.builder(url, "tok").backoff(20, 100).flushMs(20).maxBatch(100)
                .commandWaitMs(200).build().start()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1_000; i++) {
                agent.record(new TaskEvent(0, i % 2 == 0 ? "task_started" : "task_succeeded", null,
                        TaskEvent.Task.of("test", "t" + (i / 2), "job"), null, null));
            }
            Duration recording = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(recording).as("recording 1,000 events while Drover is down does not wait for it")
                    .isLessThan(Duration.ofSeconds(1));
            await(() -> refusals >= 3);
            assertThat(received).isEmpty();
            assertThat(agent.buffered()).isEqualTo(1_000);

            down = false;
            await(() -> received.size() == 1_000);
            await(() -> agent.buffered() == 0);
            seqs.addAll(received);
        }
        assertThat(seqs).isSorted().doesNotHaveDuplicates().hasSize(1_000);
        assertThat(seqs.get(999) - seqs.get(0)).isEqualTo(999);
    }

    @Test
    void closeSpoolsWhatDroverDidNotTakeAndTheNextStartSendsIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String url = start();
        java.nio.file.Path spool = dir.resolve("spool.ndjson");
        DroverAgent first = DroverAgent.builder(url, "tok").backoff(20, 100).spoolFile(spool)
                .drainTimeout(Duration.ofMillis(200)).build().start();
        for (int i = 0; i < 10; i++) {
            first.record(new TaskEvent(0, "task_sent", null, TaskEvent.Task.of("test", "s" + i, "job"), null, null));
        }
        first.close();
        assertThat(spool).exists();

        down = false;
        try (DroverAgent second = DroverAgent.builder(url, "tok").backoff(20, 100).flushMs(20).spoolFile(spool)
                .build().start()) {
            await(() -> received.size() == 10);
        }
        assertThat(received).isSorted().doesNotHaveDuplicates();
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(10);
        }
    }
}
