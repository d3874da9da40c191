package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixtures for queue tests: jobs, triggers, claims and reads over the real HTTP API, plus direct
 * reads of the database. Every helper asserts the status code it expects, so a test reads as the
 * protocol it exercises.
 */
final class RunFixture {
    static final Duration WAIT = Duration.ofSeconds(15);

    final TestServer server;
    final Api api;

    RunFixture(TestServer server) {
        this.server = server;
        this.api = new Api(server);
    }

    /** Creates a job; {@code spec} holds the fields besides the slug. Returns the job JSON. */
    JsonNode job(String slug, Map<String, ?> spec) {
        Map<String, Object> body = new HashMap<>(spec);
        body.put("slug", slug);
        body.putIfAbsent("queue", slug);
        Api.Answer a = api.post("/v1/jobs", body);
        assertThat(a.status()).as("create job %s: %s", slug, a.text()).isEqualTo(201);
        return a.json();
    }

    JsonNode trigger(String slug, Map<String, ?> body) {
        Api.Answer a = api.post("/v1/jobs/" + slug + "/trigger", body);
        assertThat(a.status()).as("trigger %s: %s", slug, a.text()).isEqualTo(201);
        return a.json();
    }

    String triggerId(String slug) {
        return trigger(slug, Map.of()).get("id").asText();
    }

    /** Triggers a batch and returns the run ids in request order. */
    List<String> triggerBatch(String slug, List<Map<String, ?>> runs) {
        Api.Answer a = api.post("/v1/jobs/" + slug + "/trigger/batch", Map.of("runs", runs));
        assertThat(a.status()).as("batch trigger %s: %s", slug, a.text()).isEqualTo(201);
        List<String> ids = new ArrayList<>();
        a.json().get("data").forEach(r -> ids.add(r.get("id").asText()));
        return ids;
    }

    List<JsonNode> claim(String worker, String queue, int max, long leaseMs, long waitMs) {
        Api.Answer a = api.post("/v1/worker/claim", Map.of("worker_id", worker, "queues", List.of(queue), "max", max,
                "lease_ms", leaseMs, "wait_ms", waitMs));
        assertThat(a.status()).as("claim: %s", a.text()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.json().get("data").forEach(out::add);
        return out;
    }

    /** Claims exactly one run of the queue, long-polling until it is ready; asserts it is {@code runId}. */
    JsonNode claimOnly(String worker, String queue, String runId, long leaseMs) {
        List<JsonNode> got = Await.value("a claim of run " + runId, WAIT,
                () -> claim(worker, queue, 10, leaseMs, 1_000), l -> !l.isEmpty());
        assertThat(got).extracting(r -> r.get("id").asText()).containsExactly(runId);
        JsonNode run = got.get(0);
        assertThat(run.get("status").asText()).isEqualTo("executing");
        assertThat(run.get("worker_id").asText()).isEqualTo(worker);
        return run;
    }

    Api.Answer post(String path, Map<String, ?> body) {
        return api.post(path, body);
    }

    JsonNode run(String id) {
        Api.Answer a = api.get("/v1/runs/" + id);
        assertThat(a.status()).as("get run: %s", a.text()).isEqualTo(200);
        return a.json();
    }

    String status(String id) {
        return run(id).get("status").asText();
    }

    List<JsonNode> events(String id) {
        Api.Answer a = api.get("/v1/runs/" + id + "/events");
        assertThat(a.status()).as("events: %s", a.text()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.json().get("data").forEach(out::add);
        return out;
    }

    /** The run's history as {@code "from->to"} steps; the creating event's from is {@code "_"}. */
    List<String> chain(String id) {
        return events(id).stream().map(RunFixture::step).toList();
    }

    /** The run's history as {@code "type:from->to"}. */
    List<String> typedChain(String id) {
        return events(id).stream().map(e -> e.get("type").asText() + ":" + step(e)).toList();
    }

    private static String step(JsonNode e) {
        String from = e.get("from_status").isNull() ? "_" : e.get("from_status").asText();
        return from + "->" + e.get("to_status").asText();
    }

    static Instant time(JsonNode run, String field) {
        JsonNode v = run.get(field);
        return v == null || v.isNull() ? null : Instant.parse(v.asText());
    }

    /** Asserts the body is the API's error shape with this status and code. */
    static void assertError(Api.Answer a, int status, String code) {
        assertThat(a.status()).as("answer: %s", a.text()).isEqualTo(status);
        assertThat(a.json()).as("error body: %s", a.text()).isNotNull();
        JsonNode error = a.json().get("error");
        assertThat(error).as("error body: %s", a.text()).isNotNull();
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("details").isObject()).as("details is an object: %s", a.text()).isTrue();
    }

    // ------------------------------------------------------------------------------ database

    /** A single number from the database ({@code SELECT count(*) ...}); pass run ids as {@link java.util.UUID}. */
    long count(String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    int update(String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = prepare(c, sql, params)) {
                return ps.executeUpdate();
            }
        });
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }
}
