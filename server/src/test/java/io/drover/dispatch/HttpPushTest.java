package io.drover.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP push against a real local endpoint: what counts as success, which failures are retried,
 * and the signed request exactly as API.md describes it (verified here with an independent HMAC).
 */
class HttpPushTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern SIGNATURE = Pattern.compile("t=(\\d+),v1=([0-9a-f]{64})");
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "timed_out", "crashed",
            "system_failed", "canceled", "expired", "dead_letter");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);

    static TestServer server;
    static Api api;
    static HttpServer endpoint;
    static String base;
    static final CountDownLatch releaseSlow = new CountDownLatch(1);

    /** One request as the endpoint saw it. */
    record Received(String hook, Map<String, String> headers, byte[] body, Instant at) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("push body is not JSON: " + new String(body, StandardCharsets.UTF_8));
            }
        }
    }

    /** What a hook answers: status and body for the n-th request it gets for one run (1-based). */
    interface Behaviour {
        Object[] answer(int nth) throws InterruptedException;
    }

    static final List<Received> received = new CopyOnWriteArrayList<>();
    static final Map<String, AtomicInteger> perRun = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        endpoint.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        hook("ok", n -> new Object[] {200, "{\"ok\":true,\"n\":" + n + "}"});
        hook("flaky500", n -> n == 1 ? new Object[] {500, "boom"} : new Object[] {200, "{\"second\":true}"});
        hook("bad400", n -> new Object[] {400, "{\"why\":\"bad payload\"}"});
        hook("busy429", n -> n == 1 ? new Object[] {429, ""} : new Object[] {200, "{\"after\":429}"});
        hook("slow408", n -> n == 1 ? new Object[] {408, ""} : new Object[] {200, "{\"after\":408}"});
        hook("hang", n -> {
            if (n == 1) {
                releaseSlow.await(60, TimeUnit.SECONDS); // far past the read timeout
            }
            return new Object[] {200, "{\"after\":\"timeout\"}"};
        });
        hook("text", n -> new Object[] {200, "plain text, not JSON"});
        hook("nocontent", n -> new Object[] {204, null});
        hook("nulresult", n -> new Object[] {200, "{\"x\":\"a\\u0000b\"}"});
        hook("nulerror", n -> new Object[] {400, "binary\u0000garbage"});
        endpoint.start();
        base = "http://127.0.0.1:" + endpoint.getAddress().getPort();
        // 3 s: long enough that a busy test machine never times out a quick answer, short for the slow case
        server = TestServer.start(Map.of("DROVER_PUSH_READ_TIMEOUT_MS", Long.toString(READ_TIMEOUT.toMillis()),
                "DROVER_PUSH_CONNECT_TIMEOUT_MS", "3000"));
        api = new Api(server);
    }

    private static void hook(String name, Behaviour behaviour) {
        endpoint.createContext("/hook/" + name, ex -> handle(name, behaviour, ex));
    }

    private static void handle(String name, Behaviour behaviour, HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            Map<String, String> headers = new ConcurrentHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
            received.add(new Received(name, headers, body, Instant.now()));
            String runId = headers.getOrDefault("x-drover-run-id", "?");
            int nth = perRun.computeIfAbsent(runId, k -> new AtomicInteger()).incrementAndGet();
            Object[] answer = behaviour.answer(nth);
            int status = (Integer) answer[0];
            String text = (String) answer[1];
            if (text == null) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            byte[] out = text.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the dispatcher gave up on this request (read timeout): nothing to answer
        }
    }

    @AfterAll
    static void stop() {
        releaseSlow.countDown();
        if (server != null) {
            server.close();
        }
        if (endpoint != null) {
            endpoint.stop(0);
        }
    }

    // ------------------------------------------------------------------------------ helpers

    /** Creates an http job for a hook; returns the creation answer (with the signing secret). */
    private static JsonNode job(String slug, String url, int maxAttempts) {
        var created = api.post("/v1/jobs", Map.of("slug", slug, "execution", "http", "endpoint_url", url,
                "max_attempts", maxAttempts, "default_metadata", Map.of("team", "push"),
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 50, "jitter", false)));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json();
    }

    private static String trigger(String slug, Object payload) {
        var run = api.post("/v1/jobs/" + slug + "/trigger", Map.of("payload", payload, "metadata", Map.of("k", "v")));
        assertThat(run.status()).as(run.text()).isEqualTo(201);
        return run.json().get("id").asText();
    }

    private static JsonNode settled(String runId) {
        return Await.value("run " + runId + " to settle", WAIT, () -> api.get("/v1/runs/" + runId).json(),
                r -> TERMINAL.contains(r.path("status").asText()));
    }

    private static List<String> events(String runId) {
        List<String> out = new ArrayList<>();
        api.get("/v1/runs/" + runId + "/events").json().get("data").forEach(e -> out.add(e.get("type").asText()));
        return out;
    }

    private static List<Received> requestsFor(String runId) {
        return received.stream().filter(r -> runId.equals(r.headers().get("x-drover-run-id"))).toList();
    }

    /** The signature check a receiver would write from API.md alone. */
    static boolean signatureValid(String secret, Received r, long maxSkewSecs) {
        Matcher m = SIGNATURE.matcher(r.headers().getOrDefault("x-drover-signature", ""));
        if (!m.matches()) {
            return false;
        }
        long t = Long.parseLong(m.group(1));
        if (Math.abs(t - r.at().getEpochSecond()) > maxSkewSecs) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            String expected = HexFormat.of().formatHex(mac.doFinal(r.body()));
            return expected.equals(m.group(2));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final List<String> ONE_ATTEMPT_OK = List.of("created", "dequeued", "push_started", "completed");
    private static final List<String> RETRIED_OK = List.of("created", "dequeued", "push_started", "attempt_failed",
            "promoted", "dequeued", "push_started", "completed");

    // ------------------------------------------------------------------------------ tests

    @Test
    void aSignedRequestWhose2xxJsonBodyBecomesTheResult() {
        JsonNode job = job("push-ok", base + "/hook/ok", 3);
        String secret = job.path("signing_secret").asText();
        assertThat(secret).startsWith("whsec_").hasSizeGreaterThan(30);
        String runId = trigger("push-ok", Map.of("n", 7, "text", "héllo ✓"));

        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(run.get("result")).isEqualTo(MAPPER.createObjectNode().put("ok", true).put("n", 1));
        assertThat(events(runId)).containsExactlyElementsOf(ONE_ATTEMPT_OK);

        List<Received> requests = requestsFor(runId);
        assertThat(requests).hasSize(1);
        Received r = requests.get(0);
        assertThat(r.headers().get("content-type")).startsWith("application/json");
        assertThat(r.headers().get("x-drover-run-id")).isEqualTo(runId);
        assertThat(r.headers().get("x-drover-attempt")).isEqualTo("1");
        assertThat(signatureValid(secret, r, 300)).as("X-Drover-Signature " + r.headers().get("x-drover-signature"))
                .isTrue();
        // a receiver with another secret, or a body changed on the way, must not verify
        assertThat(signatureValid(secret + "x", r, 300)).isFalse();
        byte[] tampered = r.body().clone();
        tampered[tampered.length - 2] ^= 1;
        assertThat(signatureValid(secret, new Received(r.hook(), r.headers(), tampered, r.at()), 300)).isFalse();

        JsonNode body = r.json();
        List<String> fields = new ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("run_id", "job_id", "job_slug", "attempt", "worker_id",
                "payload", "metadata");
        assertThat(body.get("run_id").asText()).isEqualTo(runId);
        assertThat(body.get("job_id").asText()).isEqualTo(job.get("id").asText());
        assertThat(body.get("job_slug").asText()).isEqualTo("push-ok");
        assertThat(body.get("attempt").asInt()).isEqualTo(1);
        assertThat(body.get("payload").get("n").asInt()).isEqualTo(7);
        assertThat(body.get("payload").get("text").asText()).isEqualTo("héllo ✓");
        assertThat(body.get("metadata")).isEqualTo(MAPPER.createObjectNode().put("team", "push").put("k", "v"));
    }

    @Test
    void the500IsRetriedThenSucceeds() {
        String secret = job("push-flaky", base + "/hook/flaky500", 3).path("signing_secret").asText();
        String runId = trigger("push-flaky", Map.of("n", 1));
        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(run.get("result").get("second").asBoolean()).isTrue();
        assertThat(events(runId)).containsExactlyElementsOf(RETRIED_OK);
        JsonNode failed = api.get("/v1/runs/" + runId + "/events").json().get("data").get(3);
        assertThat(failed.get("attempt").asInt()).isEqualTo(1);
        assertThat(failed.get("to_status").asText()).isEqualTo("delayed");

        List<Received> requests = requestsFor(runId);
        assertThat(requests).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Received r = requests.get(i);
            assertThat(r.headers().get("x-drover-attempt")).isEqualTo(Integer.toString(i + 1));
            assertThat(r.json().get("attempt").asInt()).isEqualTo(i + 1);
            assertThat(signatureValid(secret, r, 300)).as("attempt " + (i + 1) + " is signed").isTrue();
        }
    }

    @Test
    void a400FailsTheRunWithoutRetry() {
        job("push-bad", base + "/hook/bad400", 3);
        String runId = trigger("push-bad", Map.of());
        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).isEqualTo("failed");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(run.get("error").get("status").asInt()).isEqualTo(400);
        assertThat(run.get("error").get("body").asText()).contains("bad payload");
        assertThat(events(runId)).containsExactly("created", "dequeued", "push_started", "failed");
        assertThat(requestsFor(runId)).hasSize(1); // failed is terminal: no attempt can follow
    }

    @Test
    void a429AndA408AreRetried() {
        job("push-429", base + "/hook/busy429", 3);
        job("push-408", base + "/hook/slow408", 3);
        String r429 = trigger("push-429", Map.of());
        String r408 = trigger("push-408", Map.of());
        for (String[] c : new String[][] {{r429, "429"}, {r408, "408"}}) {
            JsonNode run = settled(c[0]);
            assertThat(run.get("status").asText()).as("after " + c[1]).isEqualTo("completed");
            assertThat(run.get("attempt").asInt()).isEqualTo(2);
            assertThat(run.get("result").get("after").asText()).isEqualTo(c[1]);
            assertThat(events(c[0])).containsExactlyElementsOf(RETRIED_OK);
            assertThat(requestsFor(c[0])).hasSize(2);
        }
    }

    @Test
    void anEndpointSlowerThanTheReadTimeoutIsRetried() {
        job("push-hang", base + "/hook/hang", 3);
        job("push-hang-once", base + "/hook/hang", 1);
        String runId = trigger("push-hang", Map.of());
        String onlyAttempt = trigger("push-hang-once", Map.of());
        JsonNode once = settled(onlyAttempt);
        assertThat(once.get("status").asText()).isEqualTo("dead_letter");
        assertThat(once.get("error").get("type").asText()).isEqualTo("http_timeout");
        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).isEqualTo("completed");
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(events(runId)).containsExactlyElementsOf(RETRIED_OK);
        List<Received> requests = requestsFor(runId);
        assertThat(requests).hasSize(2);
        // the second attempt started after the first one's read timeout, not before
        assertThat(Duration.between(requests.get(0).at(), requests.get(1).at()))
                .isGreaterThan(READ_TIMEOUT.minusMillis(100));
        JsonNode failed = api.get("/v1/runs/" + runId + "/events").json().get("data").get(3);
        assertThat(failed.get("type").asText()).isEqualTo("attempt_failed");
    }

    @Test
    void connectionRefusedIsRetriedUntilAttemptsAreUsedUp() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        job("push-refused", "http://127.0.0.1:" + closedPort + "/nobody", 2);
        String runId = trigger("push-refused", Map.of());
        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).isEqualTo("dead_letter");
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(run.get("error").get("type").asText()).isEqualTo("http_connection");
        assertThat(events(runId)).containsExactly("created", "dequeued", "push_started", "attempt_failed",
                "promoted", "dequeued", "push_started", "dead_lettered");
    }

    @Test
    void a2xxWithoutAJsonBodyCompletesWithoutAResult() {
        job("push-text", base + "/hook/text", 3);
        job("push-204", base + "/hook/nocontent", 3);
        for (String slug : List.of("push-text", "push-204")) {
            String runId = trigger(slug, Map.of());
            JsonNode run = settled(runId);
            assertThat(run.get("status").asText()).as(slug).isEqualTo("completed");
            assertThat(run.get("result").isNull()).as(slug + " result").isTrue();
        }
    }

    @Test
    void answersThatPostgresCannotStoreStillSettleTheRun() {
        // U+0000 cannot be stored in jsonb: a 2xx whose JSON holds it completes without a result
        // (not retried: the endpoint did its work), and an error body keeps a readable excerpt
        job("push-nul-ok", base + "/hook/nulresult", 3);
        job("push-nul-bad", base + "/hook/nulerror", 3);
        String ok = trigger("push-nul-ok", Map.of());
        String bad = trigger("push-nul-bad", Map.of());
        JsonNode okRun = settled(ok);
        assertThat(okRun.get("status").asText()).isEqualTo("completed");
        assertThat(okRun.get("attempt").asInt()).isEqualTo(1);
        assertThat(okRun.get("result").isNull()).isTrue();
        assertThat(requestsFor(ok)).hasSize(1);
        JsonNode badRun = settled(bad);
        assertThat(badRun.get("status").asText()).isEqualTo("failed");
        assertThat(badRun.get("error").get("status").asInt()).isEqualTo(400);
        assertThat(badRun.get("error").get("body").asText()).startsWith("binary").endsWith("garbage");
    }

    @Test
    void theSigningSecretIsShownOnceAndStoredSealed() {
        JsonNode job = job("push-secret", base + "/hook/ok", 3);
        String id = job.get("id").asText();
        String secret = job.get("signing_secret").asText();
        String hexPart = secret.substring("whsec_".length());

        for (String path : List.of("/v1/jobs/" + id, "/v1/jobs/push-secret", "/v1/jobs?limit=500",
                "/v1/jobs/" + id + "/versions")) {
            var answer = api.get(path);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.text()).as(path).doesNotContain(hexPart).doesNotContain("signing_secret");
        }
        // a PATCH answers the job too, without the secret
        var patched = api.patch("/v1/jobs/" + id, Map.of("name", "renamed"));
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.text()).doesNotContain(hexPart).doesNotContain("signing_secret");

        String runId = trigger("push-secret", Map.of());
        settled(runId);
        server.db().read(c -> {
            for (String table : List.of("jobs", "job_versions", "runs", "run_events")) {
                try (PreparedStatement ps = c.prepareStatement("SELECT t::text FROM " + table + " t");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        assertThat(rs.getString(1)).as("a row of " + table).doesNotContain(hexPart);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT signing_secret FROM jobs WHERE id = ?::uuid")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    byte[] sealed = rs.getBytes(1);
                    assertThat(sealed).as("a sealed secret is stored").isNotNull();
                    // AES-GCM: key id, 12-byte nonce, ciphertext as long as the secret, 16-byte tag
                    assertThat(sealed).hasSize(1 + 12 + secret.length() + 16);
                    String stored = HexFormat.of().formatHex(sealed);
                    assertThat(stored).doesNotContain(hexPart)
                            .doesNotContain(HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8)));
                    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(hexPart);
                }
            }
            return null;
        });
        // and the requests were signed with exactly that secret
        assertThat(signatureValid(secret, requestsFor(runId).get(0), 300)).isTrue();
    }
}
