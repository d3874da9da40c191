package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Deliveries survive the node that was sending them: a node stopped mid-delivery, a sender that
 * died holding a lease, two fan-outs at once (each event becomes one delivery per webhook), and
 * the retention pass.
 */
@DroverTest(env = {"DROVER_WEBHOOK_BACKOFF_MS=100", "DROVER_WEBHOOK_MAX_ATTEMPTS=5"})
class WebhookRestartTest {
    static TestServer server;
    static Api api;
    static final Map<String, String> ENV = Map.of("DROVER_WEBHOOK_BACKOFF_MS", "100",
            "DROVER_WEBHOOK_MAX_ATTEMPTS", "5", "DROVER_SHUTDOWN_GRACE_MS", "200");

    @org.junit.jupiter.api.BeforeAll
    static void start() {
        TableEventReader.takeOver(server);
    }

    static UUID project(TestServer s) {
        return s.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM projects WHERE slug = 'default'")) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
    }

    static long count(TestServer s, String sql) {
        return s.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void aNodeStoppedMidDeliveryLosesNothingAndTheNextSendsTheSameWebhookId() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean held = new AtomicBoolean();
        try (Receiver receiver = new Receiver()) {
            receiver.answer = r -> {
                if (held.compareAndSet(false, true)) {
                    try {
                        release.await(20, TimeUnit.SECONDS); // the first request hangs while its node stops
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return 200;
            };
            List<String> ids = new ArrayList<>();
            String jdbc;
            String secret;
            String webhookId;
            try (TestServer a = TestServer.start(ENV)) {
                TableEventReader.takeOver(a);
                jdbc = a.jdbcUrl();
                TableEventReader events = new TableEventReader(a.db());
                WebhookFanout fanout = new WebhookFanout(a.db(), events, new Redactions(a.db()),
                        InstantSource.system(), 100).onDeliveries(a.server().webhookSender()::wake);
                fanout.start();
                JsonNode hook = new Api(a).post("/v1/webhooks", Map.of("url", receiver.url("/restart"))).json();
                secret = hook.get("secret").asText();
                webhookId = hook.get("id").asText();
                UUID project = project(a);
                for (int i = 0; i < 20; i++) {
                    ids.add(events.append("run.completed", project, UUID.randomUUID(), Json.object().put("i", i)));
                }
                Await.until("the first request to hang", Duration.ofSeconds(10), held::get);
                fanout.stop();
            } // stopped while a request is in flight
            TestServer probe = TestServer.startOn(jdbc, Map.of("DROVER_PUSH_ENABLED", "false"));
            TableEventReader.takeOver(probe);
            TableEventReader later = new TableEventReader(probe.db());
            UUID project = project(probe);
            for (int i = 0; i < 5; i++) { // events written while no fan-out runs
                ids.add(later.append("run.completed", project, UUID.randomUUID(), Json.object().put("late", i)));
            }
            probe.close();
            release.countDown();
            try (TestServer b = TestServer.startOn(jdbc, ENV)) {
                TableEventReader.takeOver(b);
                TableEventReader events = new TableEventReader(b.db());
                WebhookFanout fanout = new WebhookFanout(b.db(), events, new Redactions(b.db()),
                        InstantSource.system(), 100).onDeliveries(b.server().webhookSender()::wake);
                fanout.start();
                try {
                    Await.until("every delivery succeeded", Duration.ofSeconds(30), () -> count(b,
                            "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'") == ids.size());
                } finally {
                    fanout.stop();
                }
                assertThat(count(b, "SELECT count(*) FROM webhook_deliveries")).isEqualTo(ids.size());
                assertThat(count(b, "SELECT count(DISTINCT event_id) FROM webhook_deliveries WHERE webhook_id = '"
                        + webhookId + "'")).isEqualTo(ids.size());
            }
            Set<String> received = new HashSet<>();
            receiver.requests.forEach(r -> {
                received.add(r.id());
                assertThat(Receiver.verifies(secret, r)).isTrue();
            });
            assertThat(received).containsExactlyInAnyOrderElementsOf(ids);
            String first = receiver.requests.get(0).id();
            assertThat(receiver.requests.stream().filter(r -> r.id().equals(first)).count())
                    .as("the interrupted delivery was sent again, with the same webhook-id").isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aSenderThatDiedHoldingALeaseIsReplacedWhenTheLeaseRunsOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Receiver receiver = new Receiver()) {
            AtomicBoolean first = new AtomicBoolean(true);
            receiver.answer = r -> {
                if (first.getAndSet(false)) {
                    try {
                        release.await(20, TimeUnit.SECONDS); // the dead node's request never comes back in time
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return 200;
            };
            TableEventReader events = new TableEventReader(server.db());
            WebhookFanout fanout = new WebhookFanout(server.db(), events, new Redactions(server.db()),
                    InstantSource.system(), 100);
            String webhookId = api.post("/v1/webhooks", Map.of("url", receiver.url("/lease"))).json()
                    .get("id").asText();
            WebhookSender live = server.server().webhookSender();
            live.stop(); // so that the "dead" node takes the delivery first
            WebhookSender doomed = new WebhookSender(server.db(),
                    new WebhookStore(server.db(), new io.drover.crypto.SecretBox(io.drover.crypto.Keys.of(
                            java.util.Base64.getDecoder().decode(TestServer.SECRETS_KEY))), null, InstantSource.system()), InstantSource.system(),
                    "dead-node", 4, 100, 5, 1000, 30_000, 1_000, 100).withOutbound(server.server().outbound());
            try {
                String event = events.append("run.completed", project(server), UUID.randomUUID(), Json.object());
                fanout.runOnce();
                List<WebhookSender.Taken> taken = doomed.take(10);
                assertThat(taken).hasSize(1);
                assertThat(taken.get(0).eventId()).isEqualTo(event);
                live.start();
                // the live sender does not take a leased delivery; once the lease is over, it does
                assertThat(count(server, "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '" + webhookId
                        + "'")).isEqualTo(1);
                Thread dying = Thread.ofVirtual().start(() -> doomed.send(taken.get(0)));
                Await.until("the live sender's delivery", Duration.ofSeconds(15), () -> count(server,
                        "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded' AND webhook_id = '"
                                + webhookId + "'") == 1);
                assertThat(count(server, "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '" + webhookId
                        + "'")).isEqualTo(2);
                release.countDown();
                dying.join(10_000);
                // the dead node's late answer does not overwrite the row it no longer holds
                assertThat(count(server, "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '" + webhookId
                        + "'")).isEqualTo(2);
                assertThat(receiver.requests).hasSize(2).allSatisfy(r -> assertThat(r.id()).isEqualTo(event));
            } finally {
                live.start();
                doomed.shutdown(Duration.ZERO);
                api.delete("/v1/webhooks/" + webhookId);
            }
        }
    }

    @Test
    void twoFanOutsAtOnceMakeOneDeliveryPerEventAndWebhook() throws Exception {
        TableEventReader events = new TableEventReader(server.db());
        String w1 = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/fan1", "enabled", false))
                .json().get("id").asText();
        String w2 = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/fan2", "enabled", false))
                .json().get("id").asText();
        // disabled webhooks get no deliveries; enable them in the database only for the fan-out's lookup
        server.db().read(c -> c.createStatement().executeUpdate("UPDATE webhooks SET enabled = true WHERE id IN ('"
                + w1 + "', '" + w2 + "')"));
        server.server().webhookSender().stop(); // nothing is sent (port 9): only the fan-out is under test
        WebhookFanout one = new WebhookFanout(server.db(), events, new Redactions(server.db()), InstantSource.system(), 5);
        WebhookFanout two = new WebhookFanout(server.db(), events, new Redactions(server.db()), InstantSource.system(), 5);
        UUID project = project(server);
        List<String> ids = new ArrayList<>();
        one.start();
        two.start();
        try {
            for (int i = 0; i < 1500; i++) {
                ids.add(events.append("run.completed", project, UUID.randomUUID(), Json.object().put("i", i)));
            }
            Await.until("every event fanned out", Duration.ofSeconds(30), () -> count(server,
                    "SELECT count(*) FROM webhook_deliveries WHERE webhook_id IN ('" + w1 + "', '" + w2 + "')")
                    == 2L * ids.size());
        } finally {
            one.stop();
            two.stop();
            server.db().read(c -> c.createStatement().executeUpdate("UPDATE webhooks SET enabled = false WHERE id IN"
                    + " ('" + w1 + "', '" + w2 + "')"));
            server.server().webhookSender().start();
        }
        String cursor = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT cursor FROM webhook_fanout_cursor")) {
                rs.next();
                return rs.getString(1);
            }
        });
        assertThat(cursor).isEqualTo(ids.get(ids.size() - 1));
        for (String w : List.of(w1, w2)) {
            assertThat(count(server, "SELECT count(DISTINCT event_id) FROM webhook_deliveries WHERE webhook_id = '"
                    + w + "'")).isEqualTo(ids.size());
        }
        // seq follows event order, which per-run ordering relies on
        assertThat(count(server, """
                SELECT count(*) FROM (SELECT event_id, lag(event_id) OVER (ORDER BY seq) AS prev
                                      FROM webhook_deliveries WHERE webhook_id = '%s') x
                WHERE prev > event_id""".formatted(w1))).isZero();
        api.delete("/v1/webhooks/" + w1);
        api.delete("/v1/webhooks/" + w2);
    }

    @Test
    void theRetentionPassDeletesOldFinishedDeliveriesOnly() {
        String w = api.post("/v1/webhooks", Map.of("url", "http://127.0.0.1:9/ret", "enabled", false))
                .json().get("id").asText();
        UUID project = project(server);
        server.db().read(c -> c.createStatement().executeUpdate("""
                UPDATE projects SET settings = settings || '{"retention_days": 7}' WHERE id = '%s';
                INSERT INTO webhook_deliveries (id, project_id, webhook_id, event_id, event_type, payload, status,
                                                next_attempt_at, finished_at)
                VALUES (gen_random_uuid(), '%1$s', '%2$s', 'old-ok', 'run.completed', '{}', 'succeeded', now(),
                        now() - interval '8 days'),
                       (gen_random_uuid(), '%1$s', '%2$s', 'old-dead', 'run.completed', '{}', 'dead', now(),
                        now() - interval '8 days'),
                       (gen_random_uuid(), '%1$s', '%2$s', 'new-ok', 'run.completed', '{}', 'succeeded', now(),
                        now() - interval '6 days'),
                       (gen_random_uuid(), '%1$s', '%2$s', 'old-pending', 'run.completed', '{}', 'pending',
                        now() + interval '1 day', NULL)""".formatted(project, w)));
        try {
            Map<String, Long> deleted = server.server().retention().runProject(project);
            assertThat(deleted.get("webhook_deliveries")).isEqualTo(2);
            assertThat(count(server, "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '" + w
                    + "' AND event_id IN ('new-ok', 'old-pending')")).isEqualTo(2);
            assertThat(count(server, "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '" + w + "'"))
                    .isEqualTo(2);
        } finally {
            server.db().read(c -> c.createStatement().executeUpdate(
                    "UPDATE projects SET settings = settings - 'retention_days' WHERE id = '" + project + "'"));
            api.delete("/v1/webhooks/" + w);
        }
    }
}
