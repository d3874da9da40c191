package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * End to end through the real event log: a run that completes reaches a webhook as
 * {@code run.completed}, signed (checked by the independent verifier in Receiver), with the run's
 * data; a delivery that gives up becomes a {@code webhook.dead} event that other webhooks receive.
 */
@DroverTest(env = {"DROVER_WEBHOOK_BACKOFF_MS=50", "DROVER_WEBHOOK_MAX_ATTEMPTS=2"})
class WebhookEndToEndTest {
    static TestServer server;
    static Api api;

    /** With no enabled webhook the fan-out moves its cursor to the log's head without reading events. */
    @Test
    void withNoWebhookTheFanOutSkipsTheLogWithoutReadingIt() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "e2e-none")).status()).isEqualTo(201);
        assertThat(api.post("/v1/jobs/e2e-none/trigger", Map.of()).status()).isEqualTo(201);
        Await.until("the cursor at the log's head", Duration.ofSeconds(20), () -> {
            String head = server.db().read(c -> server.server().eventLog().headCursor(c));
            String cursor = server.db().read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT cursor FROM webhook_fanout_cursor")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            return cursor != null && cursor.equals(head) && !head.equals(io.drover.eventlog.EventId.START.toString());
        });
        long deliveries = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM webhook_deliveries")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(deliveries).isZero();
    }

    @Test
    void aCompletedRunReachesTheWebhookSigned() {
        try (Receiver receiver = new Receiver()) {
            var made = api.post("/v1/webhooks", Map.of("url", receiver.url("/e2e"), "event_types",
                    List.of("run.completed")));
            assertThat(made.status()).isEqualTo(201);
            String secret = made.json().get("secret").asText();
            String webhookId = made.json().get("id").asText();
            assertThat(api.post("/v1/jobs", Map.of("slug", "e2e-hook", "queue", "e2eq")).status()).isEqualTo(201);
            String run = api.post("/v1/jobs/e2e-hook/trigger", Map.of("payload", Map.of("n", 1))).json()
                    .get("id").asText();
            var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("e2eq")));
            assertThat(claimed.json().get("data").get(0).get("id").asText()).isEqualTo(run);
            assertThat(api.post("/v1/runs/" + run + "/complete", Map.of("worker_id", "w", "result",
                    Map.of("ok", true))).status()).isEqualTo(200);

            Await.until("run.completed at the receiver", Duration.ofSeconds(20), () -> !receiver.to("/e2e").isEmpty());
            Receiver.Request r = receiver.to("/e2e").get(0);
            assertThat(Receiver.verifies(secret, r)).as(r.signature()).isTrue();
            JsonNode body = Json.read(r.body());
            assertThat(body.get("type").asText()).isEqualTo("run.completed");
            assertThat(body.get("data").toString()).contains(run).contains("e2e-hook").contains("completed");
            Await.until("succeeded", Duration.ofSeconds(10), () -> api.get("/v1/webhooks/" + webhookId
                    + "/deliveries?status=succeeded").json().get("data").size() == 1);
            JsonNode d = api.get("/v1/webhooks/" + webhookId + "/deliveries").json().get("data").get(0);
            assertThat(d.get("event_id").asText()).isEqualTo(r.id());
            assertThat(d.get("run_id").asText()).isEqualTo(run);
            assertThat(receiver.to("/e2e")).hasSize(1); // only run.completed, not run.created or run.claimed
            api.delete("/v1/webhooks/" + webhookId);
        }
    }

    @Test
    void aDeadDeliveryIsAWebhookDeadEvent() {
        try (Receiver receiver = new Receiver()) {
            receiver.answer = r -> r.path().equals("/down") ? 500 : 204;
            String down = api.post("/v1/webhooks", Map.of("url", receiver.url("/down"), "event_types",
                    List.of("run.created", "webhook.dead"))).json().get("id").asText();
            String watcher = api.post("/v1/webhooks", Map.of("url", receiver.url("/watch"), "event_types",
                    List.of("webhook.dead"))).json().get("id").asText();
            assertThat(api.post("/v1/jobs", Map.of("slug", "e2e-dead", "queue", "e2edq")).status()).isEqualTo(201);
            String run = api.post("/v1/jobs/e2e-dead/trigger", Map.of()).json().get("id").asText();
            Await.until("webhook.dead at the watcher", Duration.ofSeconds(20), () -> !receiver.to("/watch").isEmpty());
            JsonNode body = Json.read(receiver.to("/watch").get(0).body());
            assertThat(body.get("type").asText()).isEqualTo("webhook.dead");
            assertThat(body.get("data").get("webhook_id").asText()).isEqualTo(down);
            assertThat(body.get("data").get("event_type").asText()).isEqualTo("run.created");
            assertThat(receiver.to("/down")).hasSize(2) // its two attempts, and not its own webhook.dead
                    .allSatisfy(x -> assertThat(Json.read(x.body()).get("type").asText()).isEqualTo("run.created"));
            long deadEvents = server.db().read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT count(*) FROM webhook_deliveries WHERE status = 'dead' AND webhook_id = '" + down + "'")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertThat(deadEvents).isEqualTo(1);
            assertThat(run).isNotEmpty();
            api.delete("/v1/webhooks/" + down);
            api.delete("/v1/webhooks/" + watcher);
        }
    }
}
