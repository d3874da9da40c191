package io.drover.drains;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Log drains end to end through the real event log, to a local receiver: NDJSON batches signed
 * with the Standard Webhooks headers (checked by an independent verifier), the drain's type filter,
 * a failing receiver (the same batch again under the same webhook-id, nothing lost, nothing
 * repeated once it answers 2xx), a batch that gives up (recorded, a log_drain.dead event, the
 * drain goes on), the routes, and the retention of batch records.
 */
@DroverTest(env = {"DROVER_WEBHOOK_BACKOFF_MS=50", "DROVER_WEBHOOK_MAX_ATTEMPTS=3"})
class LogDrainTest {
    static TestServer server;
    static Api api;

    @BeforeAll
    static void fastBatches() {
        server.server().logDrains().batching(50, 100);
    }

    private static String trigger(String job) {
        var r = api.post("/v1/jobs/" + job + "/trigger", Map.of("payload", Map.of("token", "s3cr3t-" + job)));
        assertThat(r.status()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private static long count(String sql) {
        return server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Every line of every request, in the order received. */
    private static List<JsonNode> lines(List<DrainReceiver.Request> requests) {
        List<JsonNode> out = new ArrayList<>();
        for (var r : requests) {
            for (String l : r.lines()) {
                out.add(Json.read(l));
            }
        }
        return out;
    }

    @Test
    void eventsArriveInSignedNdjsonBatchesOfTheTypesAsked() {
        try (DrainReceiver receiver = new DrainReceiver()) {
            var made = api.post("/v1/log-drains", Map.of("url", receiver.url("/d1"), "event_types",
                    List.of("run.created"), "format", "ndjson"));
            assertThat(made.status()).isEqualTo(201);
            String secret = made.json().get("secret").asText();
            String drain = made.json().get("id").asText();
            assertThat(secret).startsWith("whsec_");
            assertThat(api.get("/v1/log-drains/" + drain).json().has("secret")).isFalse();
            assertThat(api.post("/v1/jobs", Map.of("slug", "drain-a")).status()).isEqualTo(201);
            Set<String> runs = new HashSet<>();
            for (int i = 0; i < 120; i++) {
                runs.add(trigger("drain-a"));
            }
            Await.until("120 run.created lines at the receiver", Duration.ofSeconds(30),
                    () -> lines(receiver.to("/d1")).size() >= 120);
            List<JsonNode> lines = lines(receiver.to("/d1"));
            assertThat(lines).hasSize(120);
            assertThat(lines).allSatisfy(l -> {
                assertThat(l.get("type").asText()).isEqualTo("run.created");
                assertThat(l.fieldNames()).toIterable().containsExactlyInAnyOrder("id", "type", "occurred_at",
                        "project_id", "data");
            });
            Set<String> seen = new HashSet<>();
            lines.forEach(l -> seen.add(l.get("data").get("run_id").asText()));
            assertThat(seen).isEqualTo(runs);
            List<String> ids = lines.stream().map(l -> l.get("id").asText()).toList();
            assertThat(ids).isSorted().doesNotHaveDuplicates();
            // batches of at most 50, each signed, its webhook-id naming its first and last event
            for (var r : receiver.to("/d1")) {
                assertThat(r.contentType()).startsWith("application/x-ndjson");
                assertThat(DrainReceiver.verifies(secret, r)).as(r.signature()).isTrue();
                List<String> rl = r.lines();
                assertThat(rl.size()).isBetween(1, 50);
                assertThat(r.id()).isEqualTo(Json.read(rl.get(0)).get("id").asText() + ".."
                        + Json.read(rl.get(rl.size() - 1)).get("id").asText());
            }
            Await.until("the batches recorded", Duration.ofSeconds(10), () -> count(
                    "SELECT coalesce(sum(events), 0) FROM log_drain_batches WHERE status = 'succeeded' AND drain_id = '"
                            + drain + "'") == 120);
            var batches = api.get("/v1/log-drains/" + drain + "/batches?status=succeeded").json().get("data");
            assertThat(batches.size()).isEqualTo(receiver.to("/d1").size());
            assertThat(api.get("/v1/log-drains/" + drain).json().get("last_sent_at").isNull()).isFalse();
            assertThat(api.delete("/v1/log-drains/" + drain).status()).isEqualTo(200);
        }
    }

    @Test
    void aFailingReceiverGetsTheSameBatchAgainUnderTheSameIdAndNothingIsLost() {
        try (DrainReceiver receiver = new DrainReceiver()) {
            AtomicInteger calls = new AtomicInteger();
            receiver.answer = r -> calls.incrementAndGet() <= 2 ? 503 : 204;
            String drain = api.post("/v1/log-drains", Map.of("url", receiver.url("/d2"), "event_types",
                    List.of("run.created"))).json().get("id").asText();
            assertThat(api.post("/v1/jobs", Map.of("slug", "drain-b")).status()).isEqualTo(201);
            Set<String> runs = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                runs.add(trigger("drain-b"));
            }
            Await.until("a batch answered 2xx", Duration.ofSeconds(30), () -> count(
                    "SELECT count(*) FROM log_drain_batches WHERE drain_id = '" + drain + "'") >= 1);
            var all = receiver.to("/d2");
            assertThat(all.size()).isGreaterThanOrEqualTo(3);
            // the first three attempts are one batch: same id, same body
            assertThat(all.get(1).id()).isEqualTo(all.get(0).id());
            assertThat(all.get(2).id()).isEqualTo(all.get(0).id());
            assertThat(all.get(1).body()).isEqualTo(all.get(0).body());
            assertThat(all.get(2).body()).isEqualTo(all.get(0).body());
            Await.until("all 30 runs delivered", Duration.ofSeconds(30), () -> {
                Set<String> got = new HashSet<>();
                var ok = receiver.to("/d2");
                lines(ok.subList(2, ok.size())).forEach(l -> got.add(l.get("data").get("run_id").asText()));
                return got.equals(runs);
            });
            var ok = receiver.to("/d2");
            assertThat(lines(ok.subList(2, ok.size()))).hasSize(30); // each once after the failures
            JsonNode batch = api.get("/v1/log-drains/" + drain + "/batches").json().get("data");
            assertThat(batch.get(batch.size() - 1).get("attempts").asInt()).isEqualTo(3);
            api.delete("/v1/log-drains/" + drain);
        }
    }

    @Test
    void aBatchThatGivesUpIsRecordedToldAndPassedOver() {
        try (DrainReceiver receiver = new DrainReceiver()) {
            receiver.answer = r -> 500;
            String drain = api.post("/v1/log-drains", Map.of("url", receiver.url("/d3"), "event_types",
                    List.of("run.created", "log_drain.dead"))).json().get("id").asText();
            String watcher = api.post("/v1/log-drains", Map.of("url", receiver.url("/watch"), "event_types",
                    List.of("log_drain.dead"))).json().get("id").asText();
            assertThat(api.post("/v1/jobs", Map.of("slug", "drain-c")).status()).isEqualTo(201);
            String first = trigger("drain-c");
            receiver.answer = r -> r.path().equals("/d3") ? 500 : 200;
            Await.until("log_drain.dead at the watcher", Duration.ofSeconds(30), () -> !receiver.to("/watch").isEmpty());
            JsonNode dead = Json.read(receiver.to("/watch").get(0).lines().get(0));
            assertThat(dead.get("type").asText()).isEqualTo("log_drain.dead");
            assertThat(dead.get("data").get("drain_id").asText()).isEqualTo(drain);
            assertThat(dead.get("data").get("attempts").asInt()).isEqualTo(3);
            assertThat(receiver.to("/d3")).hasSize(3).allSatisfy(r ->
                    assertThat(r.body()).contains(first).doesNotContain("log_drain.dead"));
            JsonNode batches = api.get("/v1/log-drains/" + drain + "/batches?status=dead").json().get("data");
            assertThat(batches.size()).isEqualTo(1);
            assertThat(batches.get(0).get("last_status_code").asInt()).isEqualTo(500);
            assertThat(batches.get(0).get("first_event_id").asText()).isEqualTo(dead.get("data")
                    .get("first_event_id").asText());
            // the drain goes on with the next events
            receiver.answer = r -> 200;
            String second = trigger("drain-c");
            Await.until("the next run at the drain", Duration.ofSeconds(30), () -> receiver.to("/d3").stream()
                    .anyMatch(r -> r.body().contains(second)));
            assertThat(receiver.to("/d3").stream().filter(r -> r.body().contains(first))).hasSize(3);
            api.delete("/v1/log-drains/" + drain);
            api.delete("/v1/log-drains/" + watcher);
        }
    }

    @Test
    void payloadsAreRedactedAsEveryOutlet() {
        // run events carry no payload; an approval's data does: the project's rules still apply
        try (DrainReceiver receiver = new DrainReceiver()) {
            String drain = api.post("/v1/log-drains", Map.of("url", receiver.url("/d4"), "event_types",
                    List.of("approval.*"))).json().get("id").asText();
            assertThat(api.post("/v1/approvals", Map.of("action", "deploy", "details",
                    Map.of("password", "hunter2-secret"))).status()).isIn(200, 201);
            Await.until("the approval at the drain", Duration.ofSeconds(30), () -> !receiver.to("/d4").isEmpty());
            assertThat(receiver.to("/d4").get(0).body()).contains("approval.requested").doesNotContain("hunter2");
            api.delete("/v1/log-drains/" + drain);
        }
    }

    @Test
    void aDisabledDrainKeepsItsPlaceAndGoesOnFromIt() {
        try (DrainReceiver receiver = new DrainReceiver()) {
            String drain = api.post("/v1/log-drains", Map.of("url", receiver.url("/d5"), "event_types",
                    List.of("run.created"), "enabled", false)).json().get("id").asText();
            assertThat(api.post("/v1/jobs", Map.of("slug", "drain-e")).status()).isEqualTo(201);
            String run = trigger("drain-e");
            var on = api.patch("/v1/log-drains/" + drain, Map.of("enabled", true));
            assertThat(on.status()).isEqualTo(200);
            assertThat(on.json().get("enabled").asBoolean()).isTrue();
            Await.until("the run made while off", Duration.ofSeconds(30), () -> receiver.to("/d5").stream()
                    .anyMatch(r -> r.body().contains(run)));
            api.delete("/v1/log-drains/" + drain);
        }
    }

    @Test
    void routesRefuseBadInputAndPrivateUrls() {
        assertThat(api.post("/v1/log-drains", Map.of("url", "http://10.0.0.1/x")).status()).isEqualTo(422);
        assertThat(api.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/x", "format", "csv")).errorCode())
                .isEqualTo("validation_failed");
        assertThat(api.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/x", "event_types", List.of("Run!")))
                .status()).isEqualTo(422);
        assertThat(api.post("/v1/log-drains", Map.of("event_types", List.of("run.*"))).status()).isEqualTo(422);
        assertThat(api.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/x", "secret", "x")).status())
                .isEqualTo(422);
        assertThat(api.get("/v1/log-drains/" + UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(api.get("/v1/log-drains/nope").status()).isEqualTo(404);
        assertThat(api.patch("/v1/log-drains/" + UUID.randomUUID(), Map.of("enabled", true)).status()).isEqualTo(404);
    }

    @Test
    void theRetentionPassDeletesOldBatchRecords() {
        String drain = api.post("/v1/log-drains", Map.of("url", "http://127.0.0.1:9/ret", "enabled", false))
                .json().get("id").asText();
        UUID project = server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM projects WHERE slug = 'default'")) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
        server.db().read(c -> c.createStatement().executeUpdate("""
                UPDATE projects SET settings = settings || '{"retention_days": 7}' WHERE id = '%1$s';
                INSERT INTO log_drain_batches (id, project_id, drain_id, webhook_id, first_event_id, last_event_id,
                                               events, status, attempts, finished_at)
                VALUES (gen_random_uuid(), '%1$s', '%2$s', 'a..b', 'a', 'b', 1, 'succeeded', 1, now() - interval '8 days'),
                       (gen_random_uuid(), '%1$s', '%2$s', 'c..d', 'c', 'd', 1, 'dead', 3, now() - interval '8 days'),
                       (gen_random_uuid(), '%1$s', '%2$s', 'e..f', 'e', 'f', 1, 'succeeded', 1, now() - interval '6 days')
                """.formatted(project, drain)));
        try {
            Map<String, Long> deleted = server.server().retention().runProject(project);
            assertThat(deleted.get("log_drain_batches")).isEqualTo(2);
            assertThat(count("SELECT count(*) FROM log_drain_batches WHERE drain_id = '" + drain + "'")).isEqualTo(1);
        } finally {
            server.db().read(c -> c.createStatement().executeUpdate(
                    "UPDATE projects SET settings = settings - 'retention_days' WHERE id = '" + project + "'"));
            api.delete("/v1/log-drains/" + drain);
        }
    }
}
