package io.drover.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.Await;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Webhooks under kill -9 (issue 17, item 3): a server process delivers every run's
 * {@code run.created} to a local receiver while runs are triggered; it is killed twice with
 * SIGKILL in the middle of the triggers, the fan-out and the sends, and restarted on the same
 * database. In the end every run that committed has reached the receiver, and every time one
 * run's event reached it (a delivery cut short by the kill is sent again) it carried the same
 * {@code webhook-id}: the one stored for that delivery.
 */
class WebhookKillIT {
    record Got(String webhookId, String runId) {}

    @Test
    void everyCommittedEventIsDeliveredAndRedeliveriesKeepTheirWebhookId() throws Exception {
        List<Got> got = new CopyOnWriteArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            got.add(new Got(ex.getRequestHeaders().getFirst("webhook-id"),
                    Json.read(body).get("data").get("run_id").asText()));
            try {
                Thread.sleep(2); // a receiver that takes a moment: sends are in flight when the kill comes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answered.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.start();
        Path dir = Files.createTempDirectory("drover-webhook-kill-");
        Map<String, String> env = ChildServer.env("DROVER_OUTBOUND_ALLOW", "127.0.0.1/32",
                "DROVER_WEBHOOK_BACKOFF_MS", "200", "DROVER_WEBHOOK_MAX_ATTEMPTS", "100");
        try (ChildServer server = new ChildServer("webhook-kill9", dir, null, env).start()) {
            Api api = server.api();
            assertThat(api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort()
                    + "/hook", "event_types", List.of("run.created"))).status()).isEqualTo(201);
            assertThat(api.post("/v1/jobs", Map.of("slug", "kill-hook", "queue", "nobody-claims")).status())
                    .isEqualTo(201);
            for (int kill = 0; kill < 2; kill++) {
                AtomicBoolean stop = new AtomicBoolean();
                Thread producer = Thread.ofVirtual().start(() -> {
                    List<Map<String, Object>> batch = new ArrayList<>();
                    for (int i = 0; i < 25; i++) {
                        batch.add(Map.of("payload", Map.of("i", i)));
                    }
                    while (!stop.get()) {
                        try {
                            api.post("/v1/jobs/kill-hook/trigger/batch", Map.of("runs", batch));
                        } catch (RuntimeException e) {
                            return; // the server is gone
                        }
                    }
                });
                int before = answered.get();
                Await.until("deliveries under way", Duration.ofSeconds(120), () -> answered.get() >= before + 300);
                server.kill9();
                stop.set(true);
                producer.join();
                server.start();
            }
            Set<String> committed = new HashSet<>();
            Map<String, String> stored = new HashMap<>();
            try (Connection c = DriverManager.getConnection(server.embeddedJdbcUrl())) {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM runs")) {
                    while (rs.next()) {
                        committed.add(rs.getString(1));
                    }
                }
                try {
                    Await.until("every committed run's event delivered", Duration.ofSeconds(180), () -> {
                        Set<String> delivered = ConcurrentHashMap.newKeySet();
                        got.forEach(g -> delivered.add(g.runId()));
                        return delivered.containsAll(committed);
                    });
                } catch (AssertionError e) {
                    Set<String> missing = new HashSet<>(committed);
                    got.forEach(g -> missing.remove(g.runId()));
                    StringBuilder rows = new StringBuilder();
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT run_id, status, attempts, "
                            + "last_status_code, last_error FROM webhook_deliveries WHERE run_id::text IN ('"
                            + String.join("','", missing.stream().limit(5).toList()) + "')")) {
                        while (rs.next()) {
                            rows.append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ')
                                    .append(rs.getInt(3)).append(' ').append(rs.getString(4)).append(' ')
                                    .append(rs.getString(5)).append('\n');
                        }
                    }
                    throw new AssertionError(e.getMessage() + ": " + missing.size() + " of " + committed.size()
                            + " runs missing at the receiver (" + got.size() + " requests), e.g.\n" + rows
                            + "first requests: " + got.subList(0, Math.min(3, got.size())), e);
                }
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT run_id, event_id, status FROM webhook_deliveries")) {
                    while (rs.next()) {
                        stored.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            assertThat(committed).hasSizeGreaterThan(600);
            assertThat(stored.keySet()).isEqualTo(committed); // one delivery per committed run
            Map<String, Set<String>> idsByRun = new HashMap<>();
            for (Got g : got) {
                idsByRun.computeIfAbsent(g.runId(), k -> new HashSet<>()).add(g.webhookId());
            }
            assertThat(idsByRun.keySet()).isEqualTo(committed); // nothing delivered that did not commit
            for (var e : idsByRun.entrySet()) {
                assertThat(e.getValue()).as("webhook-ids of run " + e.getKey()).containsExactly(stored.get(e.getKey()));
            }
            long redelivered = got.size() - committed.size();
            System.out.println("RELIABILITY webhook-kill9 runs=" + committed.size() + " requests=" + got.size()
                    + " redelivered=" + redelivered);
        } finally {
            receiver.stop(0);
        }
    }
}
