package io.drover.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Endpoint circuit breakers with HTTP push (issue 17 item 4), against a local receiver that fails
 * or answers on demand, on a clock the test moves: failures open the circuit; runs of the endpoint
 * then stay queued with their attempts untouched while another endpoint's runs go; after the open
 * interval one half-open probe goes; its failure opens the circuit again, its success closes it and
 * the held runs are sent. GET /v1/endpoints shows each state.
 */
class CircuitBreakerTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final TestClock clock = new TestClock();
    static TestServer server;
    static Api api;
    static HttpServer flaky;
    static HttpServer healthy;
    static final AtomicBoolean failing = new AtomicBoolean(true);
    static final AtomicInteger flakyRequests = new AtomicInteger();
    static final List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        flaky.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        flaky.createContext("/", ex -> {
            flakyRequests.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            answer(ex, failing.get() ? 503 : 200);
        });
        flaky.start();
        healthy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        healthy.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        healthy.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            answer(ex, 200);
        });
        healthy.start();
        // No reaper: push leases are stamped with the database's clock, and the test moves its clock
        // past them; a reaper on the moved clock would take back a push in flight as a crash.
        server = TestServer.start(Map.of("DROVER_CIRCUIT_FAILURES", "3", "DROVER_CIRCUIT_OPEN_MS", "60000",
                "DROVER_POLL_INTERVAL_MS", "100", "DROVER_REAPER_INTERVAL_MS", "3600000"), clock);
        api = new Api(server);
        // where the event log will be wired: every circuit change, in the transaction that makes it
        server.server().endpointHealth().addHook((c, endpoint, from, to, at, state) -> {
            assertThat(c.getAutoCommit()).isFalse();
            changes.add(endpoint + " " + from.db() + "->" + to.db());
        });
    }

    private static void answer(com.sun.net.httpserver.HttpExchange ex, int status) throws IOException {
        byte[] body = "{\"ok\":true}".getBytes();
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        flaky.stop(0);
        healthy.stop(0);
    }

    static void job(String slug, String url) {
        var created = api.post("/v1/jobs", Map.of("slug", slug, "execution", "http", "endpoint_url", url,
                "max_attempts", 1));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
    }

    static String trigger(String job) {
        var t = api.post("/v1/jobs/" + job + "/trigger", Map.of("payload", Map.of("n", 1)));
        assertThat(t.status()).as(t.text()).isEqualTo(201);
        return t.json().get("id").asText();
    }

    static JsonNode run(String id) {
        return api.get("/v1/runs/" + id).json();
    }

    static JsonNode endpoint(String endpoint) {
        var list = api.get("/v1/endpoints");
        assertThat(list.status()).as(list.text()).isEqualTo(200);
        for (JsonNode e : list.json().get("data")) {
            if (e.get("endpoint").asText().equals(endpoint)) {
                return e;
            }
        }
        throw new AssertionError(endpoint + " not in " + list.text());
    }

    static String circuit(String endpoint) {
        return endpoint(endpoint).get("circuit").asText();
    }

    @Test
    void aProjectSeesOnlyTheEndpointsItsOwnJobsName() {
        String key = "drv_test_other_project_admin_001";
        var keys = new io.drover.identity.ApiKeys(server.db(), io.drover.crypto.Keys.of(
                java.util.Base64.getDecoder().decode(TestServer.SECRETS_KEY)));
        server.db().read(c -> {
            java.util.UUID project = io.drover.store.UuidV7.next();
            try (var ps = c.prepareStatement("INSERT INTO projects (id, slug, name) VALUES (?, 'cb-other', 'other')")) {
                ps.setObject(1, project);
                ps.executeUpdate();
            }
            try (var ps = c.prepareStatement("INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role) "
                    + "VALUES (?, ?, 'other admin', ?, ?, 'admin')")) {
                ps.setObject(1, io.drover.store.UuidV7.next());
                ps.setObject(2, project);
                ps.setString(3, key.substring(0, 8));
                ps.setBytes(4, keys.hash(key));
                ps.executeUpdate();
            }
            return null;
        });
        Api other = api.withKey(key);
        String shared = "http://127.0.0.1:1";
        job("cb-mine", shared + "/mine");
        assertThat(api.get("/v1/endpoints").text()).contains(shared);
        assertThat(other.get("/v1/endpoints").json().get("data")).as("another project's endpoints").isEmpty();
        var theirs = other.post("/v1/jobs", Map.of("slug", "cb-theirs", "execution", "http", "endpoint_url",
                shared + "/theirs"));
        assertThat(theirs.status()).as(theirs.text()).isEqualTo(201);
        JsonNode seen = other.get("/v1/endpoints").json().get("data");
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("endpoint").asText()).isEqualTo(shared);
    }

    @Test
    void failuresOpenTheCircuitHoldRunsAndAHalfOpenProbeDecides() {
        String flakyEndpoint = "http://127.0.0.1:" + flaky.getAddress().getPort();
        String healthyEndpoint = "http://127.0.0.1:" + healthy.getAddress().getPort();
        job("flaky", flakyEndpoint + "/hook");
        job("healthy", healthyEndpoint + "/hook");
        assertThat(circuit(flakyEndpoint)).isEqualTo("closed");

        // Three failures in a row open the circuit.
        for (int i = 0; i < 3; i++) {
            String id = trigger("flaky");
            api.awaitStatus("/v1/runs/" + id, "dead_letter", WAIT);
        }
        Await.until("the circuit to open", WAIT, () -> circuit(flakyEndpoint).equals("open"));
        JsonNode open = endpoint(flakyEndpoint);
        assertThat(open.get("opened_at").isNull()).isFalse();
        assertThat(open.get("last_failure_at").isNull()).isFalse();
        assertThat(open.get("success_rate").asDouble()).isLessThan(1);
        assertThat(open.get("health_score").asDouble()).isBetween(0.0, 1.0).isLessThan(
                endpoint(healthyEndpoint).get("health_score").asDouble());
        assertThat(flakyRequests.get()).isEqualTo(3);

        // Open: the endpoint's runs stay queued, attempts untouched, while another endpoint's later run goes.
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(trigger("flaky"));
        }
        String other = trigger("healthy");
        api.awaitStatus("/v1/runs/" + other, "completed", WAIT);
        String healthyTwo = trigger("healthy"); // a second pass of the dispatcher after the held runs were seen
        api.awaitStatus("/v1/runs/" + healthyTwo, "completed", WAIT);
        for (String id : held) {
            JsonNode r = run(id);
            assertThat(r.get("status").asText()).isEqualTo("queued");
            assertThat(r.get("attempt").asInt()).isZero();
        }
        assertThat(flakyRequests.get()).as("nothing sent to an open circuit").isEqualTo(3);
        assertThat(circuit(healthyEndpoint)).isEqualTo("closed");

        // After the open interval, one half-open probe; it fails, so the circuit opens again.
        clock.advance(Duration.ofSeconds(61));
        Await.until("one probe to reach the endpoint", WAIT, () -> flakyRequests.get() == 4);
        Await.until("the failed probe to open the circuit again", WAIT,
                () -> circuit(flakyEndpoint).equals("open"));
        long stillQueued = held.stream().filter(id -> run(id).get("status").asText().equals("queued")).count();
        assertThat(stillQueued).as("one run was the probe; the others wait").isEqualTo(2);
        String healthyThree = trigger("healthy");
        api.awaitStatus("/v1/runs/" + healthyThree, "completed", WAIT);
        assertThat(flakyRequests.get()).isEqualTo(4);

        // The endpoint recovers; after the interval the probe succeeds, the circuit closes, the rest go.
        failing.set(false);
        clock.advance(Duration.ofSeconds(61));
        for (String id : held) {
            Await.until("run " + id + " to finish", WAIT, () -> !run(id).get("status").asText().equals("queued")
                    && !List.of("dequeued", "executing").contains(run(id).get("status").asText()));
        }
        assertThat(held.stream().filter(id -> run(id).get("status").asText().equals("completed")).count())
                .as(held.stream().map(id -> run(id).toString() + api.get("/v1/runs/" + id + "/events").text())
                        .toList().toString())
                .isEqualTo(2);
        assertThat(held.stream().map(id -> run(id).get("attempt").asInt()).toList()).containsOnly(1);
        JsonNode closed = endpoint(flakyEndpoint);
        assertThat(closed.get("circuit").asText()).isEqualTo("closed");
        assertThat(closed.get("opened_at").isNull()).isTrue();
        assertThat(flakyRequests.get()).isEqualTo(6);
        assertThat(changes).as("circuit changes through the hook").containsExactly(
                flakyEndpoint + " closed->open", flakyEndpoint + " open->half_open", flakyEndpoint + " half_open->open",
                flakyEndpoint + " open->half_open", flakyEndpoint + " half_open->closed");
        // ... and as endpoint.* events of the event log, for the project whose job names the endpoint
        List<String> events = Await.value("the circuit events in the event log", WAIT, () -> server.db().read(c ->
                server.server().eventLog().after(c, null, null, 1000)).stream()
                .filter(e -> e.type().startsWith("endpoint."))
                .map(e -> e.type() + " " + e.data().get("endpoint").asText()).toList(), l -> l.size() == 5);
        assertThat(events).containsExactly("endpoint.open " + flakyEndpoint, "endpoint.half_open " + flakyEndpoint,
                "endpoint.open " + flakyEndpoint, "endpoint.half_open " + flakyEndpoint,
                "endpoint.closed " + flakyEndpoint);
    }
}
