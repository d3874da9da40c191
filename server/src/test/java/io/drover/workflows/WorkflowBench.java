package io.drover.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Overhead per workflow step: a chain of N no-op job steps and an N-wide fan-out (with a fan-in
 * join) of no-op job steps, executed by workers that claim and complete in batches. Not part of
 * the test suite (the name does not end in Test); run it with
 * {@code mvn -pl server -am test -Dtest=WorkflowBench -Dsurefire.failIfNoSpecifiedTests=false}
 * and {@code -Dbench.steps=1000}. Prints a markdown table.
 */
class WorkflowBench {
    static final int STEPS = Integer.getInteger("bench.steps", 1000);
    static final int WORKERS = Integer.getInteger("bench.workers", 4);

    @Test
    void chainAndFanOut() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_DB_POOL_SIZE", "20"))) {
            Api api = new Api(server);
            api.post("/v1/jobs", Map.of("slug", "noop", "queue", "bench", "max_attempts", 1));
            List<Object> chain = new ArrayList<>();
            for (int i = 0; i < STEPS; i++) {
                chain.add(i == 0 ? Map.of("id", "s0", "job", "noop")
                        : Map.of("id", "s" + i, "job", "noop", "depends_on", List.of("s" + (i - 1))));
            }
            assertThat(api.post("/v1/workflows", Map.of("slug", "chain", "steps", chain)).status()).isEqualTo(201);
            List<Object> fan = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            fan.add(Map.of("id", "root", "job", "noop"));
            for (int i = 0; i < STEPS - 2; i++) {
                fan.add(Map.of("id", "f" + i, "job", "noop", "depends_on", List.of("root")));
                ids.add("f" + i);
            }
            fan.add(Map.of("id", "join", "job", "noop", "depends_on", ids));
            var created = api.post("/v1/workflows", Map.of("slug", "fan", "steps", fan));
            assertThat(created.status()).as(created.text()).isEqualTo(201);

            List<Thread> workers = new ArrayList<>();
            boolean[] stop = {false};
            for (int w = 0; w < WORKERS; w++) {
                String id = "bench-" + w;
                workers.add(Thread.ofPlatform().start(() -> work(api, id, stop)));
            }
            StringBuilder table = new StringBuilder("""
                    | shape | steps | wall time | steps/s | dep. done -> dependent step started (p50 / p99) \
                    | dep. run done -> dependent run claimed by a worker (p50 / p99) |
                    |---|---|---|---|---|---|
                    """);
            try {
                for (String slug : List.of("chain", "fan")) {
                    long t0 = System.nanoTime();
                    var r = api.post("/v1/workflows/" + slug + "/trigger", Map.of("input", Map.of()));
                    String runId = r.json().get("id").asText();
                    JsonNode done = Await.value(slug, Duration.ofMinutes(10), () -> api.get("/v1/workflow-runs/" + runId).json(),
                            j -> !j.get("status").asText().equals("running"));
                    double secs = (System.nanoTime() - t0) / 1e9;
                    assertThat(done.get("status").asText()).isEqualTo("completed");
                    List<Double> engine = new ArrayList<>();
                    List<Double> claimed = new ArrayList<>();
                    latencies(server, UUID.fromString(runId), engine, claimed);
                    table.append(String.format("| %s | %d | %.2f s | %.0f | %s | %s |%n", slug.equals("chain")
                            ? STEPS + "-step chain" : (STEPS - 2) + "-wide fan-out + fan-in", STEPS, secs, STEPS / secs,
                            pct(engine), pct(claimed)));
                }
            } finally {
                stop[0] = true;
                for (Thread t : workers) {
                    t.join(5000);
                }
            }
            System.out.println("\nWORKFLOW BENCHMARK (" + WORKERS + " workers, batch claim/complete of up to 100)\n" + table);
        }
    }

    /** Step and run times of one workflow run, by step id. */
    private record Times(double stepStarted, double stepFinished, double runClaimed, double runFinished) {}

    /**
     * One latency per dependency edge that released a step (the chain's predecessor, the fan-out's
     * root, the fan-in's last finishing branch): from the dependency's settle to the dependent's
     * start, and from the dependency's run completing to the dependent's run being claimed.
     */
    private static void latencies(TestServer server, UUID runId, List<Double> engine, List<Double> claimed)
            throws Exception {
        Map<String, Times> t = new java.util.HashMap<>();
        try (Connection c = server.db().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT s.step_id, extract(epoch FROM s.started_at) * 1000, extract(epoch FROM s.finished_at) * 1000,
                               extract(epoch FROM r.started_at) * 1000, extract(epoch FROM r.finished_at) * 1000
                        FROM workflow_step_runs s JOIN runs r ON r.id = s.run_id WHERE s.workflow_run_id = ?""")) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    t.put(rs.getString(1), new Times(rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), rs.getDouble(5)));
                }
            }
        }
        for (var e : t.entrySet()) {
            String id = e.getKey();
            String dep = null;
            if (id.startsWith("s") && !id.equals("s0")) {
                dep = "s" + (Integer.parseInt(id.substring(1)) - 1);
            } else if (id.startsWith("f")) {
                dep = "root";
            } else if (id.equals("join")) {
                dep = t.entrySet().stream().filter(x -> x.getKey().startsWith("f"))
                        .max(java.util.Comparator.comparingDouble(x -> x.getValue().runFinished())).orElseThrow().getKey();
            }
            if (dep != null) {
                engine.add(e.getValue().stepStarted() - t.get(dep).stepFinished());
                claimed.add(e.getValue().runClaimed() - t.get(dep).runFinished());
            }
        }
    }

    private static String pct(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        Collections.sort(values);
        double p50 = values.get((int) Math.floor(0.50 * (values.size() - 1)));
        double p99 = values.get((int) Math.floor(0.99 * (values.size() - 1)));
        return String.format("%.1f ms / %.1f ms", p50, p99);
    }

    private static void work(Api api, String workerId, boolean[] stop) {
        while (!stop[0]) {
            var claimed = api.post("/v1/worker/claim", Map.of("worker_id", workerId, "queues", List.of("bench"),
                    "max", 100, "wait_ms", 500));
            if (claimed.status() != 200 || claimed.json().get("data").isEmpty()) {
                continue;
            }
            List<Object> results = new ArrayList<>();
            for (JsonNode run : claimed.json().get("data")) {
                results.add(Map.of("run_id", run.get("id").asText(), "result", Map.of()));
            }
            var done = api.post("/v1/worker/complete", Map.of("worker_id", workerId, "results", results));
            if (done.status() != 200) {
                System.err.println("complete failed: " + done.text());
            }
        }
    }
}
