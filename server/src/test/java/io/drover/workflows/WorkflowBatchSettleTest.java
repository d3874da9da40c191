package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A completion report ({@code POST /v1/worker/complete}) that settles many steps of one workflow
 * run settles them together: one statement for their rows, one for their dependents' counters, one
 * for the run's steps left (counted here by statement-level triggers), with what the one-by-one
 * path did: the same outputs, decisions, settle order and fan-in.
 */
@DroverTest
class WorkflowBatchSettleTest {
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server.db().tx(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE test_updates (seq bigserial PRIMARY KEY, tbl text NOT NULL)");
                s.execute("""
                        CREATE FUNCTION test_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            INSERT INTO test_updates (tbl) VALUES (TG_TABLE_NAME);
                            RETURN NULL;
                        END $$""");
                for (String t : List.of("workflow_step_runs", "workflow_runs")) {
                    s.execute("CREATE TRIGGER test_count_update AFTER UPDATE ON " + t
                            + " FOR EACH STATEMENT EXECUTE FUNCTION test_count_update()");
                }
            }
            return null;
        });
        job(api, "fan", "bs");
    }

    @Test
    void aReportOfManyCompletionsSettlesThemWithAFewStatements() {
        List<Object> steps = new ArrayList<>();
        steps.add(Map.of("id", "root", "job", "fan"));
        List<String> branches = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            steps.add(Map.of("id", "b" + i, "job", "fan", "depends_on", List.of("root")));
            branches.add("b" + i);
        }
        steps.add(Map.of("id", "half", "job", "fan", "depends_on", branches.subList(0, 4)));
        steps.add(Map.of("id", "join", "job", "fan", "depends_on", branches));
        workflow(api, Map.of("slug", "wide", "steps", steps));
        String id = trigger(api, "wide", Map.of());

        Map<String, String> root = claim(1);
        complete(root);
        Map<String, String> claimed = claim(8);
        assertThat(claimed.keySet()).containsExactlyInAnyOrderElementsOf(branches);

        // reported in reverse order: b8 first (the run store settles them in its own order)
        Map<String, String> report = new LinkedHashMap<>();
        for (int i = 8; i >= 1; i--) {
            report.put("b" + i, claimed.get("b" + i));
        }
        long stepMark = updates("workflow_step_runs");
        long runMark = updates("workflow_runs");
        complete(report);
        // one settle, one fan-in, one start of half and join; one steps-left
        assertThat(updates("workflow_step_runs") - stepMark).as("UPDATE statements on workflow_step_runs")
                .isEqualTo(3);
        assertThat(updates("workflow_runs") - runMark).as("UPDATE statements on workflow_runs").isEqualTo(1);

        JsonNode r = run(api, id);
        for (int i = 1; i <= 8; i++) {
            JsonNode b = step(r, "b" + i);
            assertThat(b.get("status").asText()).isEqualTo("completed");
            assertThat(b.get("output").get("step").asText()).isEqualTo("b" + i);
        }
        assertThat(step(r, "half").get("status").asText()).isEqualTo("running");
        assertThat(step(r, "join").get("status").asText()).isEqualTo("running");
        // in the order the run store hands the settled runs over (its lock order, by run id), as one by one
        List<String> order = new ArrayList<>(List.of("root"));
        claimed.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(x -> order.add(x.getKey()));
        assertThat(settleOrder(id)).containsExactlyElementsOf(order);
        assertThat(completedDecisions(id)).containsExactlyElementsOf(order);

        Map<String, String> last = claim(2);
        assertThat(last.keySet()).containsExactlyInAnyOrder("half", "join");
        complete(last);
        JsonNode done = awaitFinal(api, id);
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(claimNone()).as("no step started twice").isTrue();
    }

    @Test
    void aFailureInTheReportKeepsItsPolicyAndTheCompletionsAroundItSettle() {
        job(api, "fan-fails", "bs");
        workflow(api, Map.of("slug", "mixed", "steps", List.of(
                Map.of("id", "root", "job", "fan"),
                Map.of("id", "c1", "job", "fan", "depends_on", List.of("root")),
                Map.of("id", "c2", "job", "fan", "depends_on", List.of("root")),
                Map.of("id", "c3", "job", "fan", "depends_on", List.of("root"), "on_failure", "continue"),
                Map.of("id", "c4", "job", "fan", "depends_on", List.of("root")),
                Map.of("id", "join", "job", "fan", "depends_on", List.of("c1", "c2", "c3", "c4")))));
        String id = trigger(api, "mixed", Map.of());
        complete(claim(1));
        Map<String, String> claimed = claim(4);
        List<Map<String, Object>> results = new ArrayList<>();
        for (String s : List.of("c1", "c2", "c3", "c4")) {
            results.add(s.equals("c3")
                    ? Map.of("run_id", claimed.get(s), "retryable", false,
                            "error", Map.of("type", "test", "message", "no"))
                    : Map.of("run_id", claimed.get(s), "result", Map.of("step", s)));
        }
        var res = api.post("/v1/worker/complete", Map.of("worker_id", "w-bs", "results", results));
        assertThat(res.status()).as(res.text()).isEqualTo(200);

        JsonNode r = run(api, id);
        assertThat(step(r, "c1").get("status").asText()).isEqualTo("completed");
        assertThat(step(r, "c2").get("status").asText()).isEqualTo("completed");
        assertThat(step(r, "c3").get("status").asText()).isEqualTo("failed");
        assertThat(step(r, "c4").get("status").asText()).isEqualTo("completed");
        assertThat(step(r, "join").get("status").asText()).isEqualTo("running");
        complete(claim(1));
        assertThat(awaitFinal(api, id).get("status").asText()).isEqualTo("completed");
        assertThat(claimNone()).isTrue();
    }

    // ------------------------------------------------------------------------------ helpers

    /** Claims runs of queue bs until {@code n} are held: step id -> run id. */
    private static Map<String, String> claim(int n) {
        Map<String, String> held = new HashMap<>();
        Await.until(n + " runs to claim", Duration.ofSeconds(30), () -> {
            var r = api.post("/v1/worker/claim", Map.of("worker_id", "w-bs", "queues", List.of("bs"), "max", 100,
                    "wait_ms", 200, "lease_ms", 60_000));
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            for (JsonNode run : r.json().get("data")) {
                held.put(run.get("step_id").asText(), run.get("id").asText());
            }
            return held.size() >= n;
        });
        assertThat(held).hasSize(n);
        return held;
    }

    private static boolean claimNone() {
        var r = api.post("/v1/worker/claim", Map.of("worker_id", "w-bs", "queues", List.of("bs"), "max", 100,
                "wait_ms", 0, "lease_ms", 60_000));
        return r.status() == 200 && r.json().get("data").isEmpty();
    }

    /** Completes the runs with one report, in the map's order; each result names its step. */
    private static void complete(Map<String, String> runs) {
        List<Map<String, Object>> results = new ArrayList<>();
        runs.forEach((step, runId) -> results.add(Map.of("run_id", runId, "result", Map.of("step", step))));
        var r = api.post("/v1/worker/complete", Map.of("worker_id", "w-bs", "results", results));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        for (JsonNode x : r.json().path("data")) {
            assertThat(x.path("ok").asBoolean(true)).as(r.text()).isTrue();
        }
    }

    private static long updates(String table) {
        return server.db().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM test_updates WHERE tbl = ?")) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    private static List<String> settleOrder(String runId) {
        return server.db().tx(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT step_id FROM workflow_step_runs "
                    + "WHERE workflow_run_id = ? AND settled_seq IS NOT NULL ORDER BY settled_seq")) {
                ps.setObject(1, UUID.fromString(runId));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }

    private static List<String> completedDecisions(String runId) {
        return server.db().tx(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT step_id FROM workflow_step_decisions "
                    + "WHERE workflow_run_id = ? AND decision = 'completed' ORDER BY seq")) {
                ps.setObject(1, UUID.fromString(runId));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }
}
