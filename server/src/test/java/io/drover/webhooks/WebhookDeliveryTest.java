package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deliveries end to end from the event log's read side to a receiver on 127.0.0.1: Standard
 * Webhooks signatures checked by an independent implementation (Receiver.verifies), rotation,
 * retries with backoff, dead letters and replay, per-run ordering, redaction. Events come from a
 * test table through {@link TableEventReader} (the unit seam until the event log is merged).
 */
@DroverTest(env = {"DROVER_WEBHOOK_BACKOFF_MS=100", "DROVER_WEBHOOK_MAX_ATTEMPTS=3"})
class WebhookDeliveryTest {
    static TestServer server;
    static Api api;
    static Receiver receiver;
    static TableEventReader events;
    static WebhookFanout fanout;
    static UUID project;
    static final List<WebhookSender.Dead> dead = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        receiver = new Receiver();
        TableEventReader.takeOver(server);
        events = new TableEventReader(server.db());
        fanout = new WebhookFanout(server.db(), events, new Redactions(server.db()), InstantSource.system(), 100)
                .onDeliveries(server.server().webhookSender()::wake);
        fanout.start();
        server.server().webhookSender().withDeadHook((c, d) -> dead.add(d));
        project = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM projects WHERE slug = 'default'");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
    }

    @AfterAll
    static void stop() {
        fanout.stop();
        receiver.close();
    }

    static JsonNode webhook(String path, List<String> types) {
        var made = api.post("/v1/webhooks", Map.of("url", receiver.url(path), "event_types", types));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        return made.json();
    }

    static JsonNode deliveries(String webhookId) {
        return api.get("/v1/webhooks/" + webhookId + "/deliveries?limit=500").json().get("data");
    }

    static ObjectNodeBuilder data() {
        return new ObjectNodeBuilder();
    }

    static final class ObjectNodeBuilder {
        final com.fasterxml.jackson.databind.node.ObjectNode node = Json.object();

        ObjectNodeBuilder put(String k, String v) {
            node.put(k, v);
            return this;
        }
    }

    @Test
    void aMatchingEventArrivesSignedRedactedAndOnce() {
        JsonNode hook = webhook("/signed", List.of("run.*", "webhook.dead"));
        String secret = hook.get("secret").asText();
        assertThat(secret).matches("whsec_[A-Za-z0-9+/=]{32}");
        UUID run = UUID.randomUUID();
        String completed = events.append("run.completed", project, run,
                data().put("to_status", "completed").put("password", "hunter2").node);
        events.append("workflow_run.completed", project, null, data().node); // not subscribed
        // the event telling that one of this webhook's own deliveries died is not sent to it
        events.append("webhook.dead", project, run, data().put("webhook_id", hook.get("id").asText()).node);
        events.append("run.completed", UUID.randomUUID(), run, data().node); // another project's
        Await.until("the delivery", Duration.ofSeconds(10), () -> receiver.to("/signed").size() == 1);
        Receiver.Request r = receiver.to("/signed").get(0);
        assertThat(r.id()).isEqualTo(completed);
        assertThat(Receiver.verifies(secret, r)).as(r.signature()).isTrue();
        assertThat(Receiver.verifies(Signatures.newSecret(), r)).isFalse();
        JsonNode body = Json.read(r.body());
        assertThat(body.get("type").asText()).isEqualTo("run.completed");
        assertThat(body.get("timestamp").asText()).isNotEmpty();
        assertThat(body.get("data").get("to_status").asText()).isEqualTo("completed");
        assertThat(body.get("data").get("password").asText()).isEqualTo("[REDACTED]");
        Await.until("succeeded", Duration.ofSeconds(5),
                () -> deliveries(hook.get("id").asText()).get(0).get("status").asText().equals("succeeded"));
        JsonNode d = deliveries(hook.get("id").asText());
        assertThat(d).hasSize(1);
        assertThat(d.get(0).get("event_id").asText()).isEqualTo(completed);
        assertThat(d.get(0).get("event_type").asText()).isEqualTo("run.completed");
        assertThat(d.get(0).get("attempts").asInt()).isEqualTo(1);
        assertThat(d.get(0).get("last_status_code").asInt()).isEqualTo(204);
        assertThat(d.get(0).get("delivered_at").isNull()).isFalse();
        // nothing else arrives (the other two events match no webhook of this project)
        events.append("run.created", project, UUID.randomUUID(), data().node);
        Await.until("the next one", Duration.ofSeconds(10), () -> receiver.to("/signed").size() == 2);
        assertThat(receiver.to("/signed").stream().map(Receiver.Request::id).distinct()).hasSize(2);
        api.delete("/v1/webhooks/" + hook.get("id").asText());
    }

    @Test
    void duringARotationBothSecretsSign() {
        JsonNode hook = webhook("/rotated", List.of("run.completed"));
        String id = hook.get("id").asText();
        String old = hook.get("secret").asText();
        var rotated = api.post("/v1/webhooks/" + id + "/rotate-secret", Map.of());
        assertThat(rotated.status()).isEqualTo(200);
        String fresh = rotated.json().get("secret").asText();
        assertThat(fresh).isNotEqualTo(old).startsWith("whsec_");
        assertThat(rotated.json().get("previous_secret_expires_at").asText()).isNotEmpty();
        assertThat(api.get("/v1/webhooks/" + id).text()).doesNotContain(fresh).doesNotContain(old)
                .doesNotContain("secret\"");
        events.append("run.completed", project, UUID.randomUUID(), data().node);
        Await.until("the delivery", Duration.ofSeconds(10), () -> receiver.to("/rotated").size() == 1);
        Receiver.Request r = receiver.to("/rotated").get(0);
        assertThat(r.signature().split(" ")).hasSize(2);
        assertThat(Receiver.verifies(fresh, r)).isTrue();
        assertThat(Receiver.verifies(old, r)).isTrue();
        // once the grace window is over, only the new secret signs
        server.db().read(c -> c.createStatement().executeUpdate(
                "UPDATE webhooks SET previous_expires_at = now() - interval '1 second' WHERE id = '" + id + "'"));
        events.append("run.completed", project, UUID.randomUUID(), data().node);
        Await.until("the second delivery", Duration.ofSeconds(10), () -> receiver.to("/rotated").size() == 2);
        Receiver.Request second = receiver.to("/rotated").get(1);
        assertThat(second.signature().split(" ")).hasSize(1);
        assertThat(Receiver.verifies(fresh, second)).isTrue();
        assertThat(Receiver.verifies(old, second)).isFalse();
        api.delete("/v1/webhooks/" + id);
    }

    @Test
    void failuresAreRetriedWithBackoffThenDeadThenReplayed() {
        AtomicInteger status = new AtomicInteger(500);
        receiver.answer = r -> r.path().equals("/failing") ? status.get() : 204;
        JsonNode hook = webhook("/failing", List.of("run.failed"));
        String id = hook.get("id").asText();
        String event = events.append("run.failed", project, UUID.randomUUID(), data().node);
        Await.until("dead", Duration.ofSeconds(20),
                () -> deliveries(id).size() == 1 && deliveries(id).get(0).get("status").asText().equals("dead"));
        List<Receiver.Request> tries = receiver.to("/failing");
        assertThat(tries).hasSize(3); // DROVER_WEBHOOK_MAX_ATTEMPTS
        assertThat(tries).allSatisfy(t -> assertThat(t.id()).isEqualTo(event));
        // backoff 100 ms, doubling: at least 100 ms, then at least 200 ms between attempts
        assertThat(Duration.between(tries.get(0).at(), tries.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(Duration.between(tries.get(1).at(), tries.get(2).at())).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        JsonNode d = deliveries(id).get(0);
        assertThat(d.get("attempts").asInt()).isEqualTo(3);
        assertThat(d.get("last_status_code").asInt()).isEqualTo(500);
        assertThat(d.get("last_error").asText()).contains("500");
        assertThat(d.get("next_attempt_at").isNull()).isTrue();
        assertThat(dead).anySatisfy(x -> assertThat(x.eventId()).isEqualTo(event));
        assertThat(api.get("/v1/webhooks/" + id + "/deliveries?status=dead").json().get("data")).hasSize(1);
        assertThat(api.get("/v1/webhooks/" + id + "/deliveries?status=succeeded").json().get("data")).isEmpty();

        status.set(200);
        var replay = api.post("/v1/webhook-deliveries/" + d.get("id").asText() + "/replay", Map.of());
        assertThat(replay.status()).isEqualTo(202);
        Await.until("succeeded after the replay", Duration.ofSeconds(10),
                () -> deliveries(id).get(0).get("status").asText().equals("succeeded"));
        assertThat(receiver.to("/failing")).hasSize(4);
        assertThat(receiver.to("/failing").get(3).id()).isEqualTo(event);
        assertThat(Receiver.verifies(hook.get("secret").asText(), receiver.to("/failing").get(3))).isTrue();
        // a pending delivery is not replayed twice; an unknown one is 404
        assertThat(api.post("/v1/webhook-deliveries/" + UUID.randomUUID() + "/replay", Map.of()).status())
                .isEqualTo(404);
        api.delete("/v1/webhooks/" + id);
    }

    @Test
    void theEventsOfOneRunArriveInOrderWhileTheFirstIsRetried() {
        UUID run = UUID.randomUUID();
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        List<String> accepted = new CopyOnWriteArrayList<>();
        JsonNode hook = webhook("/ordered", List.of("run.*"));
        List<String> ids = new ArrayList<>();
        ids.add(events.append("run.created", project, run, data().node));
        failures.put(ids.get(0), new AtomicInteger(2)); // the first event of the run fails twice
        receiver.answer = r -> {
            if (!r.path().equals("/ordered")) {
                return 204;
            }
            AtomicInteger left = failures.get(r.id());
            if (left != null && left.getAndDecrement() > 0) {
                return 503;
            }
            accepted.add(r.id());
            return 200;
        };
        ids.add(events.append("run.claimed", project, run, data().node));
        ids.add(events.append("run.completed", project, run, data().node));
        UUID other = UUID.randomUUID();
        String otherRun = events.append("run.created", project, other, data().node);
        Await.until("all four", Duration.ofSeconds(20), () -> accepted.size() == 4);
        assertThat(accepted.stream().filter(ids::contains).toList()).containsExactlyElementsOf(ids);
        // nothing of the run was sent before its first event was accepted
        List<Receiver.Request> all = receiver.to("/ordered");
        int firstAccepted = -1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(ids.get(0))) {
                firstAccepted = i; // the last request of the first event is the accepted one
            }
        }
        for (int i = 0; i < firstAccepted; i++) {
            assertThat(all.get(i).id()).as("request " + i).isIn(ids.get(0), otherRun);
        }
        assertThat(all.stream().filter(r -> r.id().equals(ids.get(0)))).hasSize(3);
        // another run's event did not wait for it
        assertThat(accepted.indexOf(otherRun)).isLessThan(accepted.indexOf(ids.get(0)));
        api.delete("/v1/webhooks/" + hook.get("id").asText());
    }

    @Test
    void theOutboundGuardChecksTheAddressAgainAtSendTime() throws Exception {
        var guard = server.server().outbound();
        var internal = java.net.InetAddress.getByName("10.0.0.5");
        var loopback = java.net.InetAddress.getByName("127.0.0.1");
        var target = new java.util.concurrent.atomic.AtomicReference<>(internal);
        guard.resolveWith(name -> name.equals("hooks.example.test") ? List.of(target.get())
                : List.of(java.net.InetAddress.getAllByName(name)));
        try {
            String url = receiver.url("/guarded").replace("127.0.0.1", "hooks.example.test");
            var made = api.post("/v1/webhooks", Map.of("url", url, "event_types", List.of("run.completed")));
            assertThat(made.status()).as("a public-looking name passes at creation").isEqualTo(201);
            String id = made.json().get("id").asText();
            events.append("run.completed", project, UUID.randomUUID(), data().node);
            Await.until("a refused attempt", Duration.ofSeconds(10), () -> deliveries(id).size() == 1
                    && !deliveries(id).get(0).get("last_error").isNull());
            assertThat(deliveries(id).get(0).get("last_error").asText()).contains("outbound_refused")
                    .contains("10.0.0.5");
            assertThat(receiver.to("/guarded")).isEmpty();
            target.set(loopback); // the name now resolves to an allowed address (DROVER_OUTBOUND_ALLOW)
            JsonNode d = deliveries(id).get(0);
            if (d.get("status").asText().equals("dead")) { // all 3 attempts may be spent on a slow machine
                assertThat(api.post("/v1/webhook-deliveries/" + d.get("id").asText() + "/replay", Map.of()).status())
                        .isEqualTo(202);
            }
            Await.until("delivered", Duration.ofSeconds(10), () -> receiver.to("/guarded").size() == 1);
            api.delete("/v1/webhooks/" + id);
        } finally {
            guard.resolveWith(name -> List.of(java.net.InetAddress.getAllByName(name)));
        }
    }

    @Test
    void aDisabledWebhookGetsNoDeliveriesAndDeletingOneTakesItsDeliveries() {
        JsonNode hook = webhook("/disabled", List.of("*"));
        String id = hook.get("id").asText();
        assertThat(api.patch("/v1/webhooks/" + id, Map.of("enabled", false)).json().get("enabled").asBoolean()).isFalse();
        events.append("run.completed", project, UUID.randomUUID(), data().node);
        JsonNode later = webhook("/after-disabled", List.of("*"));
        String marker = events.append("run.completed", project, UUID.randomUUID(), data().node);
        Await.until("the marker at the other webhook", Duration.ofSeconds(10),
                () -> receiver.to("/after-disabled").stream().anyMatch(r -> r.id().equals(marker)));
        assertThat(receiver.to("/disabled")).isEmpty();
        assertThat(deliveries(id)).isEmpty();
        api.delete("/v1/webhooks/" + id);
        String laterId = later.get("id").asText();
        assertThat(api.delete("/v1/webhooks/" + laterId).status()).isEqualTo(200);
        long left = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '" + laterId + "'")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(left).isZero();
    }
}
