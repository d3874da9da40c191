package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a check (off unless -Dwebhook.bench=true): delivery throughput of a burst of
 * events to one local receiver, and event-to-delivery latency on an idle server. Prints results.
 */
@DroverTest
class WebhookThroughputBench {
    static TestServer server;
    static Api api;

    @Test
    void measure() {
        Assumptions.assumeTrue(Boolean.getBoolean("webhook.bench"), "-Dwebhook.bench=true runs it");
        int n = Integer.getInteger("webhook.bench.events", 10_000);
        Map<String, Instant> arrived = new ConcurrentHashMap<>();
        try (Receiver receiver = new Receiver()) {
            receiver.answer = r -> {
                arrived.put(r.id(), Instant.now());
                return 204;
            };
            TableEventReader.takeOver(server);
            TableEventReader events = new TableEventReader(server.db());
            WebhookFanout fanout = new WebhookFanout(server.db(), events, new Redactions(server.db()),
                    InstantSource.system(), 200).onDeliveries(server.server().webhookSender()::wake);
            fanout.start();
            try {
                api.post("/v1/webhooks", Map.of("url", receiver.url("/bench")));
                UUID project = server.db().read(c -> {
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM projects WHERE slug = 'default'")) {
                        rs.next();
                        return rs.getObject(1, UUID.class);
                    }
                });
                // latency on an idle server: one event at a time
                List<Long> latencies = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    Instant t0 = Instant.now();
                    String id = events.append("run.completed", project, UUID.randomUUID(), Json.object().put("i", i));
                    Await.until("delivered", Duration.ofSeconds(10), () -> arrived.containsKey(id));
                    latencies.add(Duration.between(t0, arrived.get(id)).toNanos() / 1000);
                }
                Collections.sort(latencies);
                System.out.printf("webhook latency event->receiver (200 single events): p50 %.1f ms, p99 %.1f ms%n",
                        latencies.get(100) / 1000.0, latencies.get(197) / 1000.0);
                // throughput: a burst of n events of n runs committed at once
                long before = arrived.size();
                long t0 = System.nanoTime();
                server.db().read(c -> c.createStatement().executeUpdate("""
                        INSERT INTO test_events (type, occurred_at, project_id, run_id, data)
                        SELECT 'run.completed', now(), '%s', gen_random_uuid(), jsonb_build_object('i', i)
                        FROM generate_series(1, %d) i""".formatted(project, n)));
                fanout.wake();
                Await.until("all delivered", Duration.ofMinutes(5), () -> arrived.size() >= before + n);
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("webhook throughput: %d deliveries in %.2f s = %.0f/s%n", n, secs, n / secs);
                assertThat(arrived.size()).isEqualTo(before + n);
            } finally {
                fanout.stop();
            }
        }
    }
}
