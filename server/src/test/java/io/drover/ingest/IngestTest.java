package io.drover.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.testing.Api;
import io.drover.testing.Snapshot;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inbound event sources end to end (issue 17 item 5): deliveries signed by a Standard Webhooks
 * signer written here from the specification (not the server's code), plain HMAC and unsigned
 * sources, de-duplication by delivery id, the size limit, and subscriptions' filters and payload
 * templates. Push is off so that triggered runs stay queued where the test counts them.
 */
class IngestTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final TestClock clock = new TestClock();
    static final HttpClient http = HttpClient.newHttpClient();
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"), clock);
        api = new Api(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void realTime() {
        clock.reset();
    }

    // ------------------------------------------------------------------ an independent signer

    /** Standard Webhooks, from the specification: base64(HMAC-SHA256(base64decode(secret without whsec_), "id.ts.body")). */
    static String standardSignature(String secret, String id, long ts, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
        mac.update(body);
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
    }

    static String hmacHex(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    record Answer(int status, JsonNode json, String text) {}

    static Answer deliver(String sourceId, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/ingest/" + sourceId))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = r.body().isEmpty() ? null : MAPPER.readTree(r.body());
        } catch (java.io.IOException e) {
            // not JSON
        }
        return new Answer(r.statusCode(), json, r.body());
    }

    static Answer deliverSigned(String sourceId, String secret, String id, long ts, byte[] body) throws Exception {
        return deliver(sourceId, body, Map.of("webhook-id", id, "webhook-timestamp", Long.toString(ts),
                "webhook-signature", standardSignature(secret, id, ts, body)));
    }

    static JsonNode source(String slug, String verify) {
        var created = api.post("/v1/event-sources", Map.of("slug", slug, "verify", verify));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json();
    }

    static void job(String slug) {
        var created = api.post("/v1/jobs", Map.of("slug", slug, "queue", slug));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
    }

    static JsonNode subscribe(String sourceId, Map<String, Object> body) {
        var created = api.post("/v1/event-sources/" + sourceId + "/subscriptions", body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json();
    }

    static JsonNode runsOf(String job) {
        var list = api.get("/v1/runs?job=" + job);
        assertThat(list.status()).as(list.text()).isEqualTo(200);
        return list.json().get("data");
    }

    static long count(String sql) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    static byte[] json(Object o) throws Exception {
        return MAPPER.writeValueAsBytes(o);
    }

    // ------------------------------------------------------------------ tests

    @Test
    void standardWebhooksGoodBadStaleAndRepeatedSignatures() throws Exception {
        job("sw-job");
        JsonNode src = source("sw", "standard_webhooks");
        String id = src.get("id").asText();
        String secret = src.get("secret").asText();
        assertThat(secret).startsWith("whsec_");
        assertThat(src.get("ingest_url").asText()).endsWith("/v1/ingest/" + id);
        assertThat(api.get("/v1/event-sources/" + id).json().has("secret")).as("the secret is shown once").isFalse();
        subscribe(id, Map.of("job", "sw-job"));
        byte[] body = json(Map.of("type", "invoice.paid", "data", Map.of("id", "in_1")));
        long now = clock.instant().getEpochSecond();

        var good = deliverSigned(id, secret, "msg_1", now, body);
        assertThat(good.status()).as(good.text()).isEqualTo(202);
        assertThat(good.json().get("duplicate").asBoolean()).isFalse();
        JsonNode runs = runsOf("sw-job");
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).get("payload")).isEqualTo(MAPPER.readTree(body));
        assertThat(runs.get(0).get("id").asText()).isEqualTo(good.json().get("triggered").get(0).get("run_id").asText());

        // Bad signatures: 401 and nothing stored.
        Snapshot before = Snapshot.of(server.db());
        String otherSecret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
        List<Answer> refused = List.of(
                deliverSigned(id, otherSecret, "msg_2", now, body),                      // wrong key
                deliver(id, body, Map.of("webhook-id", "msg_2", "webhook-timestamp", Long.toString(now),
                        "webhook-signature", standardSignature(secret, "msg_2", now, json(Map.of("type", "x"))))),
                deliver(id, body, Map.of("webhook-id", "msg_2", "webhook-timestamp", Long.toString(now),
                        "webhook-signature", standardSignature(secret, "msg_other", now, body))), // id not signed
                deliver(id, body, Map.of()),                                                 // no headers
                deliverSigned(id, secret, "msg_2", now - 301, body),                        // stale
                deliverSigned(id, secret, "msg_2", now + 301, body));                       // from the future
        for (Answer a : refused) {
            assertThat(a.status()).as(a.text()).isEqualTo(401);
            assertThat(a.json().get("error").get("code").asText()).isEqualTo("invalid_signature");
        }
        assertThat(before.diff(Snapshot.of(server.db()))).as("refused deliveries changed nothing").isEmpty();

        // The server's clock decides what is stale: moved 10 minutes on, a delivery signed now is refused.
        clock.advance(Duration.ofMinutes(10));
        assertThat(deliverSigned(id, secret, "msg_3", now, body).status()).isEqualTo(401);
        clock.reset();

        // Several signatures (a sender rotating its secret): any v1 one that matches is enough.
        String both = standardSignature(otherSecret, "msg_4", now, body) + " " + standardSignature(secret, "msg_4",
                now, body);
        var rotated = deliver(id, body, Map.of("webhook-id", "msg_4", "webhook-timestamp", Long.toString(now),
                "webhook-signature", both));
        assertThat(rotated.status()).as(rotated.text()).isEqualTo(202);
        assertThat(runsOf("sw-job")).hasSize(2);

        // The same webhook-id again (a sender's retry, freshly signed): accepted, nothing triggered again.
        var again = deliverSigned(id, secret, "msg_1", now + 5, body);
        assertThat(again.status()).as(again.text()).isEqualTo(202);
        assertThat(again.json().get("duplicate").asBoolean()).isTrue();
        assertThat(again.json().get("id").asText()).isEqualTo(good.json().get("id").asText());
        assertThat(runsOf("sw-job")).hasSize(2);
        assertThat(count("SELECT count(*) FROM ingested_events WHERE delivery_id = 'msg_1'")).isEqualTo(1);
    }

    @Test
    void hmacAndUnsignedSourcesDeduplicateByTheDeliveryHeader() throws Exception {
        job("hm-job");
        JsonNode hm = source("hm", "hmac_sha256");
        String id = hm.get("id").asText();
        String secret = hm.get("secret").asText();
        subscribe(id, Map.of("job", "hm-job"));
        byte[] body = json(Map.of("n", 1));

        Snapshot before = Snapshot.of(server.db());
        var bad = deliver(id, body, Map.of("X-Drover-Signature", "sha256=" + hmacHex("not-the-secret", body)));
        assertThat(bad.status()).as(bad.text()).isEqualTo(401);
        assertThat(deliver(id, body, Map.of()).status()).isEqualTo(401);
        assertThat(deliver(id, body, Map.of("X-Drover-Signature", hmacHex(secret, body))).status()).isEqualTo(401);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();

        Map<String, String> signed = Map.of("X-Drover-Signature", "sha256=" + hmacHex(secret, body),
                "X-Drover-Delivery-Id", "d-1");
        assertThat(deliver(id, body, signed).status()).isEqualTo(202);
        var repeated = deliver(id, body, signed);
        assertThat(repeated.status()).isEqualTo(202);
        assertThat(repeated.json().get("duplicate").asBoolean()).isTrue();
        assertThat(runsOf("hm-job")).hasSize(1);

        job("none-job");
        JsonNode none = source("open", "none");
        assertThat(none.get("secret").isNull()).isTrue();
        String noneId = none.get("id").asText();
        subscribe(noneId, Map.of("job", "none-job"));
        assertThat(deliver(noneId, body, Map.of("X-Drover-Delivery-Id", "x-1")).status()).isEqualTo(202);
        assertThat(deliver(noneId, body, Map.of("X-Drover-Delivery-Id", "x-1")).status()).isEqualTo(202);
        assertThat(deliver(noneId, body, Map.of("X-Drover-Delivery-Id", "x-2")).status()).isEqualTo(202);
        assertThat(runsOf("none-job")).hasSize(2);
    }

    @Test
    void bodiesOverTheLimitAre413AndStoreNothing() throws Exception {
        JsonNode src = source("big", "none");
        byte[] big = ("{\"pad\": \"" + "x".repeat(1024 * 1024 + 10) + "\"}").getBytes(StandardCharsets.UTF_8);
        Snapshot before = Snapshot.of(server.db());
        var a = deliver(src.get("id").asText(), big, Map.of("X-Drover-Delivery-Id", "big-1"));
        assertThat(a.status()).as(a.text()).isEqualTo(413);
        var malformed = deliver(src.get("id").asText(), "{not json".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(malformed.status()).as(malformed.text()).isEqualTo(400);
        var unknown = deliver("00000000-0000-7000-8000-000000000000", json(Map.of()), Map.of());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(deliver("not-a-uuid", json(Map.of()), Map.of()).status()).isEqualTo(404);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }

    @Test
    void filtersAndPayloadTemplatesChooseAndShapeWhatIsTriggered() throws Exception {
        job("paid-job");
        job("other-job");
        var wf = api.post("/v1/workflows", Map.of("slug", "paid-flow", "steps", List.of(
                Map.of("id", "charge", "job", "paid-job", "payload", Map.of("order", "{{input.order}}")))));
        assertThat(wf.status()).as(wf.text()).isEqualTo(201);
        JsonNode src = source("shop", "none");
        String id = src.get("id").asText();
        subscribe(id, Map.of("job", "paid-job",
                "filter", Map.of("all", List.of(Map.of("path", "event.type", "equals", "order.paid"),
                        Map.of("path", "event.data.amount", "gte", 100))),
                "payload", Map.of("order", "{{event.data.id}}", "note", "paid {{ event.data.id }}",
                        "amount", "{{event.data.amount}}")));
        subscribe(id, Map.of("workflow", "paid-flow", "filter", Map.of("path", "event.type", "equals", "order.paid"),
                "payload", Map.of("order", "{{event.data.id}}")));
        subscribe(id, Map.of("job", "other-job", "filter", Map.of("not",
                Map.of("path", "event.type", "in", List.of("order.paid")))));

        var paid = deliver(id, json(Map.of("type", "order.paid", "data", Map.of("id", "o-7", "amount", 250))),
                Map.of("X-Drover-Delivery-Id", "e-1"));
        assertThat(paid.status()).as(paid.text()).isEqualTo(202);
        assertThat(paid.json().get("triggered")).hasSize(2);
        JsonNode run = api.get("/v1/runs/" + paid.json().get("triggered").get(0).get("run_id").asText()).json();
        assertThat(run.get("payload")).isEqualTo(MAPPER.readTree(
                "{\"order\": \"o-7\", \"note\": \"paid o-7\", \"amount\": 250}"));
        String wfRun = paid.json().get("triggered").get(1).get("workflow_run_id").asText();
        assertThat(api.get("/v1/workflow-runs/" + wfRun).json().get("input"))
                .isEqualTo(MAPPER.readTree("{\"order\": \"o-7\"}"));

        var small = deliver(id, json(Map.of("type", "order.paid", "data", Map.of("id", "o-8", "amount", 5))),
                Map.of("X-Drover-Delivery-Id", "e-2"));
        assertThat(small.json().get("triggered")).as("the workflow only: the job's filter wants 100 or more")
                .hasSize(1);
        var refunded = deliver(id, json(Map.of("type", "order.refunded", "data", Map.of("id", "o-9"))),
                Map.of("X-Drover-Delivery-Id", "e-3"));
        assertThat(refunded.json().get("triggered")).hasSize(1);
        assertThat(refunded.json().get("triggered").get(0).get("job").asText()).isEqualTo("other-job");
        assertThat(runsOf("paid-job")).as("one run from the job subscription, one from the workflow's step")
                .hasSizeBetween(1, 3);
        assertThat(runsOf("other-job")).hasSize(1);
        assertThat(runsOf("other-job").get(0).get("payload").get("type").asText()).isEqualTo("order.refunded");

        var events = api.get("/v1/event-sources/" + id + "/events");
        assertThat(events.json().get("data")).hasSize(3);
        assertThat(api.get("/v1/event-sources/" + id + "/subscriptions").json().get("data")).hasSize(3);
    }

    @Test
    void badDefinitionsAreClear4xxAndChangeNothing() {
        job("bad-def-job");
        JsonNode src = source("defs", "none");
        String subs = "/v1/event-sources/" + src.get("id").asText() + "/subscriptions";
        Snapshot before = Snapshot.of(server.db());
        Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
        cases.put("verify", Map.of("slug", "x1", "verify", "md5"));
        cases.put("slug", Map.of("slug", "Not A Slug"));
        for (var e : cases.entrySet()) {
            var a = api.post("/v1/event-sources", e.getValue());
            assertThat(a.status()).as(a.text()).isEqualTo(422);
            assertThat(a.json().get("error").get("details").get("field").asText()).isEqualTo(e.getKey());
        }
        assertThat(api.post("/v1/event-sources", Map.of("slug", "defs")).status()).isEqualTo(409);
        assertThat(api.post("/v1/event-sources", "{").status()).isEqualTo(400);

        Map<String, Map<String, Object>> bad = new LinkedHashMap<>();
        bad.put("job", Map.of());
        bad.put("workflow", Map.of("job", "bad-def-job", "workflow", "w"));
        bad.put("filter", Map.of("job", "bad-def-job", "filter", Map.of("path", "input.x", "equals", 1)));
        bad.put("payload", Map.of("job", "bad-def-job", "payload", Map.of("a", "{{steps.x.output}}")));
        for (var e : bad.entrySet()) {
            var a = api.post(subs, e.getValue());
            assertThat(a.status()).as(e.getKey() + ": " + a.text()).isEqualTo(422);
        }
        var noJob = api.post(subs, Map.of("job", "no-such-job"));
        assertThat(noJob.status()).isEqualTo(422);
        assertThat(api.post("/v1/event-sources/nope/subscriptions", Map.of("job", "bad-def-job")).status())
                .isEqualTo(404);
        assertThat(api.get("/v1/event-sources/00000000-0000-7000-8000-000000000000").status()).isEqualTo(404);
        assertThat(api.delete(subs + "/00000000-0000-7000-8000-000000000000").status()).isEqualTo(404);
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
    }

    @Test
    void adminActionsAreAuditedAndDeleteRemovesEverything() throws Exception {
        job("aud-job");
        JsonNode src = source("aud", "standard_webhooks");
        String id = src.get("id").asText();
        JsonNode sub = subscribe(id, Map.of("job", "aud-job"));
        assertThat(deliver(id, json(Map.of()), Map.of()).status()).isEqualTo(401);
        assertThat(api.delete("/v1/event-sources/" + id + "/subscriptions/" + sub.get("id").asText()).status())
                .isEqualTo(200);
        assertThat(api.delete("/v1/event-sources/" + id).status()).isEqualTo(200);
        assertThat(api.get("/v1/event-sources/" + id).status()).isEqualTo(404);
        var audit = api.get("/v1/audit-events?limit=500");
        String text = audit.text();
        for (String action : List.of("event_source.create", "event_subscription.create", "event_subscription.delete",
                "event_source.delete")) {
            assertThat(text).contains(action);
        }
        assertThat(text).as("the secret is never in the audit log").doesNotContain(src.get("secret").asText());
        assertThat(deliver(id, json(Map.of()), Map.of()).status()).isEqualTo(404);
    }

    @Test
    void retentionPrunesOldIngestedEvents() throws Exception {
        JsonNode src = source("ret", "none");
        String id = src.get("id").asText();
        assertThat(deliver(id, json(Map.of("k", 1)), Map.of("X-Drover-Delivery-Id", "old")).status()).isEqualTo(202);
        assertThat(deliver(id, json(Map.of("k", 2)), Map.of("X-Drover-Delivery-Id", "new")).status()).isEqualTo(202);
        var set = api.patch("/v1/projects/default", Map.of("settings", Map.of("retention_days", 30)));
        assertThat(set.status()).as(set.text()).isEqualTo(200);
        server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE ingested_events SET received_at = now() - interval '31 days' WHERE delivery_id = 'old'")) {
                return ps.executeUpdate();
            }
        });
        java.util.UUID project = java.util.UUID.fromString(api.get("/v1/projects/default").json().get("id").asText());
        Map<String, Long> deleted = server.server().retention().runProject(project);
        assertThat(deleted.get("ingested_events")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ingested_events WHERE delivery_id = 'old'")).isZero();
        assertThat(count("SELECT count(*) FROM ingested_events WHERE delivery_id = 'new'")).isEqualTo(1);
    }
}
