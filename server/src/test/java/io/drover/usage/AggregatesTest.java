package io.drover.usage;

import static io.drover.usage.UsageKit.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rollups equal a recomputation from the raw rows; percentiles are within the stated error. */
class AggregatesTest {
    static TestServer server;
    static UsageKit kit;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        kit = new UsageKit(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void usageRollupsEqualARecomputationFromTheRawRows() throws Exception {
        List<String> jobs = List.of("agg-a", "agg-b", "agg-c");
        List<String> runs = new ArrayList<>();
        for (String j : jobs) {
            kit.job(j);
            for (int i = 0; i < 8; i++) {
                runs.add(kit.triggerId(j));
            }
        }
        String[][] models = {{"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"}, {"anthropic", "claude-sonnet-4"},
            {"acme", "unpriced-1"}};
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int seed = t;
            done.add(pool.submit(() -> {
                Random rnd = new Random(seed);
                for (int i = 0; i < 40; i++) {
                    String run = runs.get(rnd.nextInt(runs.size()));
                    String[] m = models[rnd.nextInt(models.length)];
                    Api.Answer a = kit.usage(run, tokens(null, m[0], m[1], rnd.nextInt(100_000), rnd.nextInt(20_000),
                            rnd.nextInt(50_000)));
                    assertThat(a.status()).as(a.text()).isEqualTo(201);
                }
                return 40;
            }));
        }
        for (Future<Integer> f : done) {
            f.get();
        }
        pool.shutdown();

        // the table itself, key by key, against the raw rows
        assertThat(rows("""
                SELECT project_id, hour, job_id, provider, model, records, runs, input_tokens, output_tokens,
                       cached_input_tokens, cost_microusd
                FROM usage_hourly ORDER BY 1, 2, 3, 4, 5""")).isEqualTo(rows("""
                WITH firsts AS (SELECT DISTINCT ON (run_id) id FROM usage_records ORDER BY run_id, id)
                SELECT project_id, date_trunc('hour', recorded_at, 'UTC'), job_id, provider, model, count(*),
                       count(*) FILTER (WHERE id IN (SELECT id FROM firsts)), sum(input_tokens), sum(output_tokens),
                       sum(cached_input_tokens), sum(cost_microusd)
                FROM usage_records GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""));

        // and the API's groupings
        for (String[] g : new String[][] {{"job", "job_id::text"}, {"model", "model"}, {"provider", "provider"}}) {
            JsonNode data = kit.api.get("/v1/usage?group_by=" + g[0]).json().get("data");
            List<List<String>> api = new ArrayList<>();
            data.forEach(n -> api.add(List.of(n.get("key").asText(), n.get("input_tokens").asText(),
                    n.get("output_tokens").asText(), n.get("cost_microusd").asText(), n.get("records").asText())));
            assertThat(api).as(g[0]).isEqualTo(rows("SELECT " + g[1] + ", sum(input_tokens), sum(output_tokens), "
                    + "sum(cost_microusd), count(*) FROM usage_records GROUP BY 1 ORDER BY 1"));
        }
        JsonNode byJob = kit.api.get("/v1/usage?group_by=job").json().get("data");
        assertThat(byJob.findValuesAsText("job_slug")).containsExactlyInAnyOrderElementsOf(jobs);
        long runsWithUsage = kit.count("SELECT count(DISTINCT run_id) FROM usage_records");
        long apiRuns = 0;
        for (JsonNode n : kit.api.get("/v1/usage?group_by=day").json().get("data")) {
            apiRuns += n.get("runs").asLong();
        }
        assertThat(apiRuns).isEqualTo(runsWithUsage);
        assertThat(kit.api.get("/v1/usage?group_by=hour").json().get("data")).isNotEmpty();
    }

    @Test
    void jobPercentilesAreWithinFivePercentOfTheExactOnes() throws Exception {
        kit.job("agg-durations");
        int n = 300;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(kit.triggerId("agg-durations"));
        }
        Api.Answer claimed = kit.api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues",
                List.of("agg-durations"), "max", n, "wait_ms", 0, "lease_ms", 600_000));
        assertThat(claimed.json().get("data")).hasSize(n);
        // spread the durations over five decades (10 ms .. 100 s): the runs "started" earlier
        Random rnd = new Random(7);
        server.db().tx(c -> {
            try (var ps = c.prepareStatement(
                    "UPDATE runs SET started_at = started_at - make_interval(secs => ?) WHERE id = ?::uuid")) {
                for (String id : ids) {
                    ps.setDouble(1, Math.pow(10, -2 + 4 * rnd.nextDouble()));
                    ps.setString(2, id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        List<Map<String, Object>> results = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Map<String, Object> r = new HashMap<>();
            r.put("run_id", ids.get(i));
            if (i % 10 == 0) {
                r.put("error", Map.of("message", "boom"));
                r.put("retryable", false);
            } else {
                r.put("result", i);
            }
            results.add(r);
        }
        Api.Answer report = kit.api.post("/v1/worker/complete", Map.of("worker_id", "w", "results", results));
        assertThat(report.status()).as(report.text()).isEqualTo(200);

        Await.until("the rollup to count every run", Duration.ofSeconds(30), () -> {
            server.server().runRollups().runOnce();
            return kit.count("SELECT coalesce(sum(runs), 0) FROM job_hourly h JOIN jobs j ON j.id = h.job_id "
                    + "WHERE j.slug = 'agg-durations'") == n;
        });
        List<Double> exact = new ArrayList<>();
        server.db().read(c -> {
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT extract(epoch FROM finished_at - "
                    + "started_at) * 1000 FROM runs WHERE job_slug = 'agg-durations' ORDER BY 1")) {
                while (rs.next()) {
                    exact.add(rs.getDouble(1));
                }
            }
            return null;
        });
        JsonNode metrics = kit.api.get("/v1/jobs/agg-durations/metrics?bucket=day").json();
        assertThat(metrics.get("data")).hasSize(1);
        JsonNode day = metrics.get("data").get(0);
        assertThat(day.get("runs").asLong()).isEqualTo(n);
        assertThat(day.get("completed").asLong()).isEqualTo(n - n / 10);
        assertThat(day.get("failed").asLong()).isEqualTo(n / 10);
        for (double[] q : new double[][] {{0.50, day.get("p50_ms").asDouble()}, {0.95, day.get("p95_ms").asDouble()},
            {0.99, day.get("p99_ms").asDouble()}}) {
            double truth = exact.get((int) Math.ceil(q[0] * n) - 1);
            assertThat(q[1]).as("p%d", (int) (q[0] * 100)).isCloseTo(truth, within(truth * Histogram.ALPHA + 0.1));
        }
        JsonNode hours = kit.api.get("/v1/jobs/agg-durations/metrics").json().get("data");
        long sum = 0;
        for (JsonNode h : hours) {
            sum += h.get("runs").asLong();
        }
        assertThat(sum).isEqualTo(n);
    }

    @Test
    void theHistogramQuantilesAreWithinTheStatedErrorOfExactOnes() {
        Random rnd = new Random(42);
        for (int round = 0; round < 50; round++) {
            int n = 1 + rnd.nextInt(5000);
            double[] values = new double[n];
            long[] counts = new long[Histogram.BUCKETS];
            for (int i = 0; i < n; i++) {
                values[i] = Math.exp(rnd.nextGaussian() * 3 + 5); // ~1 ms .. hours
                counts[Histogram.bucket(values[i])]++;
            }
            java.util.Arrays.sort(values);
            for (double q : new double[] {0.5, 0.9, 0.95, 0.99, 0.999}) {
                double truth = values[(int) Math.ceil(q * n) - 1];
                double est = Histogram.quantile(counts, q);
                assertThat(Math.abs(est - truth)).as("q %s of %s values", q, n)
                        .isLessThanOrEqualTo(Math.max(truth * Histogram.ALPHA * 1.0000001, 0.5));
            }
        }
    }

    static List<List<String>> rows(String sql) {
        return server.db().read(c -> {
            List<List<String>> out = new ArrayList<>();
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                int cols = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= cols; i++) {
                        row.add(rs.getString(i));
                    }
                    out.add(row);
                }
            }
            return out;
        });
    }
}
