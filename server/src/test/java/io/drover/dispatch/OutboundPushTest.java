package io.drover.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.outbound.OutboundGuard;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DROVER_OUTBOUND_ALLOW end to end (issue 15). Two receivers share one port: "public" on
 * 127.0.0.2, standing in for a public address (the only address this server allows besides the
 * public ones), and "internal" on 127.0.0.1, standing in for a metadata service or an admin panel
 * (refused). Host names resolve through a DNS answered by the test, so a name can be made to
 * rebind. The internal receiver must never see a request.
 */
class OutboundPushTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "system_failed", "dead_letter");

    static HttpServer publicReceiver;
    static HttpServer internalReceiver;
    static int port;
    static final List<String> publicHosts = new CopyOnWriteArrayList<>();
    static final List<String> internalHosts = new CopyOnWriteArrayList<>();
    static final Map<String, List<InetAddress>> dns = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() throws IOException {
        publicReceiver = receiver(new InetSocketAddress("127.0.0.2", 0), publicHosts);
        port = publicReceiver.getAddress().getPort();
        internalReceiver = receiver(new InetSocketAddress("127.0.0.1", port), internalHosts);
        server = TestServer.start(Map.of("DROVER_OUTBOUND_ALLOW", "127.0.0.2/32"));
        api = new Api(server);
        server.server().outbound().resolveWith(name -> {
            lookups.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            List<InetAddress> answer = dns.get(name);
            if (answer == null) {
                throw new UnknownHostException(name);
            }
            return answer;
        });
    }

    @AfterAll
    static void stop() {
        assertThat(internalHosts).as("requests that reached the internal receiver").isEmpty();
        if (server != null) {
            server.close();
        }
        publicReceiver.stop(0);
        internalReceiver.stop(0);
    }

    private static HttpServer receiver(InetSocketAddress at, List<String> hosts) throws IOException {
        HttpServer s = HttpServer.create(at, 50);
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        s.createContext("/big", ex -> { // an answer over the 16 MiB that a push reads
            hosts.add(ex.getRequestHeaders().getFirst("Host"));
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 17; i++) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the client hung up once it had read enough
            }
        });
        s.createContext("/", ex -> {
            hosts.add(ex.getRequestHeaders().getFirst("Host"));
            ex.getRequestBody().readAllBytes();
            byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
        return s;
    }

    private static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void job(Api on, String slug, String url, int maxAttempts, int retryDelayMs) {
        var created = on.post("/v1/jobs", Map.of("slug", slug, "execution", "http", "endpoint_url", url,
                "max_attempts", maxAttempts,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", retryDelayMs, "jitter", false)));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
    }

    private static String trigger(Api on, String slug) {
        var run = on.post("/v1/jobs/" + slug + "/trigger", Map.of("payload", Map.of("n", 1)));
        assertThat(run.status()).as(run.text()).isEqualTo(201);
        return run.json().get("id").asText();
    }

    private static JsonNode settled(String runId) {
        return Await.value("run " + runId + " to settle", WAIT, () -> api.get("/v1/runs/" + runId).json(),
                r -> TERMINAL.contains(r.path("status").asText()));
    }

    private static int jobCount() {
        return api.get("/v1/jobs?limit=200").json().get("data").size();
    }

    /** Each spelling from the issue, and a few more: 422 naming endpoint_url, and no job made. */
    @Test
    void creationRefusesNonPublicDestinationsInEverySpelling() {
        int before = jobCount();
        List<String> urls = List.of("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
                "http://192.168.0.1/", "http://[fd00:ec2::254]/", "http://0.0.0.0:" + port + "/",
                "http://2130706433:" + port + "/", "http://0x7f000001:" + port + "/",
                "http://metadata.google.internal/computeMetadata/v1/", "http://0177.0.0.1:" + port + "/",
                "http://127.1:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/",
                "http://[::ffff:7f00:1]:" + port + "/", "http://localhost:" + port + "/", "http://localhost./",
                "http://metadata/", "http://instance-data/", "http://[fe80::1%25lo]/", "http://172.16.0.1/");
        int i = 0;
        for (String url : urls) {
            Api.Answer a = api.post("/v1/jobs", Map.of("slug", "refused-" + i++, "execution", "http",
                    "endpoint_url", url));
            assertThat(a.status()).as(url + ": " + a.text()).isEqualTo(422);
            assertThat(a.errorCode()).isEqualTo("validation_failed");
            assertThat(a.json().path("error").path("details").path("field").asText()).as(url).isEqualTo("endpoint_url");
        }
        assertThat(jobCount()).isEqualTo(before);

        // A public address and a name that only DNS can judge are accepted (the name is checked when sent).
        assertThat(api.post("/v1/jobs", Map.of("slug", "public-ip", "execution", "http",
                "endpoint_url", "https://93.184.215.14/hook")).status()).isEqualTo(201);
        assertThat(api.post("/v1/jobs", Map.of("slug", "by-name", "execution", "http",
                "endpoint_url", "https://hooks.example.com/hook")).status()).isEqualTo(201);
        // The allowed range is allowed.
        assertThat(api.post("/v1/jobs", Map.of("slug", "allowed-ip", "execution", "http",
                "endpoint_url", "http://127.0.0.2:" + port + "/")).status()).isEqualTo(201);

        // Changing the URL to a refused one is refused too, and the job keeps its version.
        int version = api.get("/v1/jobs/by-name").json().get("version").asInt();
        for (String url : List.of("http://169.254.169.254/", "http://0x7f000001/", "http://[::1]/")) {
            Api.Answer a = api.patch("/v1/jobs/by-name", Map.of("endpoint_url", url));
            assertThat(a.status()).as(url).isEqualTo(422);
            assertThat(a.json().path("error").path("details").path("field").asText()).isEqualTo("endpoint_url");
        }
        assertThat(api.get("/v1/jobs/by-name").json().get("version").asInt()).isEqualTo(version);
        assertThat(api.get("/v1/jobs/by-name").json().get("endpoint_url").asText())
                .isEqualTo("https://hooks.example.com/hook");
    }

    /**
     * The name is looked up once per connection, and the connection goes to the address that was
     * checked: the later answer (127.0.0.1) is never used, and the request still names the host.
     */
    @Test
    void theCheckedAddressIsTheOneConnectedTo() {
        AtomicInteger answers = new AtomicInteger();
        dns.put("rebind.example", List.of(ip("127.0.0.2")));
        lookups.put("rebind.example", new AtomicInteger());
        job(api, "rebind", "http://rebind.example:" + port + "/hook", 1, 50);
        // From the first lookup on, the name answers the internal address: a client that looked it
        // up again to connect would reach the internal receiver.
        server.server().outbound().resolveWith(name -> {
            lookups.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            if (name.equals("rebind.example")) {
                return List.of(ip(answers.getAndIncrement() == 0 ? "127.0.0.2" : "127.0.0.1"));
            }
            List<InetAddress> answer = dns.get(name);
            if (answer == null) {
                throw new UnknownHostException(name);
            }
            return answer;
        });
        try {
            String runId = trigger(api, "rebind");
            JsonNode run = settled(runId);
            assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("completed");
            assertThat(run.get("result").get("ok").asBoolean()).isTrue();
            assertThat(lookups.get("rebind.example").get()).as("lookups of the name").isEqualTo(1);
            assertThat(publicHosts).contains("rebind.example:" + port);
        } finally {
            server.server().outbound().resolveWith(name -> {
                lookups.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                List<InetAddress> answer = dns.get(name);
                if (answer == null) {
                    throw new UnknownHostException(name);
                }
                return answer;
            });
        }
    }

    /**
     * A name resolving to a refused address fails the attempt as outbound_refused (naming the
     * address), retryably: once DNS answers an allowed address, the retry is delivered.
     */
    @Test
    void aNameResolvingToARefusedAddressIsNotCalledAndIsRetried() {
        dns.put("evil.example", List.of(ip("127.0.0.1")));
        job(api, "evil", "http://evil.example:" + port + "/hook", 10, 300);
        String runId = trigger(api, "evil");
        JsonNode failed = Await.value("a refused attempt", WAIT, () -> api.get("/v1/runs/" + runId + "/events").json(),
                events -> {
                    for (JsonNode e : events.get("data")) {
                        if (e.get("type").asText().equals("attempt_failed")) {
                            return true;
                        }
                    }
                    return false;
                });
        JsonNode event = null;
        for (JsonNode e : failed.get("data")) {
            if (e.get("type").asText().equals("attempt_failed")) {
                event = e;
                break;
            }
        }
        assertThat(event.get("to_status").asText()).as(event.toString()).isEqualTo("delayed");
        JsonNode error = event.get("data").get("error");
        assertThat(error.get("type").asText()).isEqualTo("outbound_refused");
        assertThat(error.get("message").asText()).contains("evil.example", "127.0.0.1", "loopback");

        dns.put("evil.example", List.of(ip("127.0.0.2"))); // DNS changed: the next attempt goes through
        JsonNode run = settled(runId);
        assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("completed");
        assertThat(publicHosts).contains("evil.example:" + port);
    }

    /** One refused address in the answer refuses the name, whichever address a client would pick. */
    @Test
    void anAnswerMixingAllowedAndRefusedAddressesIsRefused() {
        dns.put("mixed.example", List.of(ip("127.0.0.2"), ip("127.0.0.1")));
        job(api, "mixed", "http://mixed.example:" + port + "/hook", 1, 50);
        int before = publicHosts.size();
        JsonNode run = settled(trigger(api, "mixed"));
        assertThat(run.get("status").asText()).isIn("failed", "dead_letter");
        assertThat(run.get("error").get("type").asText()).isEqualTo("outbound_refused");
        assertThat(run.get("error").get("message").asText()).contains("127.0.0.1");
        assertThat(publicHosts).hasSize(before);
    }

    /**
     * A job saved while its address was allowed (here by another node whose allow list has it;
     * the same holds for jobs saved before an upgrade) is refused when sent, without retry: its
     * URL cannot change its answer.
     */
    @Test
    void aLiteralRefusedAddressIsRefusedAtSendTimeToo() {
        try (TestServer lenient = TestServer.startOn(server.jdbcUrl(),
                Map.of("DROVER_OUTBOUND_ALLOW", "127.0.0.0/8", "DROVER_PUSH_ENABLED", "false"))) {
            Api other = new Api(lenient);
            job(other, "legacy", "http://127.0.0.1:" + port + "/hook", 5, 50);
            JsonNode run = settled(trigger(other, "legacy"));
            assertThat(run.get("status").asText()).isIn("failed", "dead_letter");
            assertThat(run.get("attempt").asInt()).as("not retried").isEqualTo(1);
            assertThat(run.get("error").get("type").asText()).isEqualTo("outbound_refused");
            assertThat(run.get("error").get("message").asText()).contains("127.0.0.1", "loopback");

            // This node (allow list 127.0.0.2/32) refuses a change of the URL that the other node accepts.
            assertThat(api.patch("/v1/jobs/legacy", Map.of("endpoint_url", "http://127.0.0.3/")).status())
                    .isEqualTo(422);
            // An edit that keeps the URL is not refused for it (the send-time check still applies).
            assertThat(api.patch("/v1/jobs/legacy", Map.of("max_attempts", 2)).status()).isEqualTo(200);
        }
    }

    /** The answer is read up to 16 MiB; a larger one fails the run without retry (the endpoint did the work). */
    @Test
    void anAnswerOverTheLimitFailsTheRunWithoutRetry() {
        job(api, "big", "http://127.0.0.2:" + port + "/big", 3, 50);
        JsonNode run = settled(trigger(api, "big"));
        assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("failed");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(run.get("error").get("type").asText()).isEqualTo("http_response_too_large");
    }

    @Test
    void theGuardThatIsUsedIsTheConfiguredOne() {
        OutboundGuard guard = server.server().outbound();
        assertThat(guard.toString()).isEqualTo("public addresses and 127.0.0.2/32");
    }
}
