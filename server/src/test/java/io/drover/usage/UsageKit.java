package io.drover.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Jobs, runs, claims and usage over the HTTP API, and counts read straight from the database. */
final class UsageKit {
    final TestServer server;
    final Api api;

    UsageKit(TestServer server) {
        this.server = server;
        this.api = new Api(server);
    }

    void job(String slug) {
        Api.Answer a = api.post("/v1/jobs", Map.of("slug", slug, "queue", slug));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
    }

    Api.Answer trigger(String slug) {
        return api.post("/v1/jobs/" + slug + "/trigger", Map.of());
    }

    String triggerId(String slug) {
        Api.Answer a = trigger(slug);
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json().get("id").asText();
    }

    /** Claims one run of the job's queue for {@code worker}; null when none is ready. */
    String claim(String slug, String worker) {
        Api.Answer a = api.post("/v1/worker/claim", Map.of("worker_id", worker, "queues", List.of(slug), "max", 1,
                "wait_ms", 0, "lease_ms", 600_000));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode data = a.json().get("data");
        return data.isEmpty() ? null : data.get(0).get("id").asText();
    }

    /** A triggered and claimed run's id. */
    String held(String slug, String worker) {
        String id = triggerId(slug);
        String claimed = claim(slug, worker);
        assertThat(claimed).isEqualTo(id);
        return id;
    }

    Api.Answer usage(String runId, Map<String, ?> body) {
        return api.post("/v1/runs/" + runId + "/usage", body);
    }

    static Map<String, Object> tokens(String worker, String provider, String model, long in, long out, long cached) {
        Map<String, Object> m = new HashMap<>();
        if (worker != null) {
            m.put("worker_id", worker);
        }
        m.put("provider", provider);
        m.put("model", model);
        m.put("input_tokens", in);
        m.put("output_tokens", out);
        m.put("cached_input_tokens", cached);
        return m;
    }

    JsonNode run(String id) {
        Api.Answer a = api.get("/v1/runs/" + id);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        return a.json();
    }

    long count(String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws java.sql.SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }
}
