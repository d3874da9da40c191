package io.drover.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Health, readiness, Prometheus metrics, and list pagination with filters. */
@DroverTest
class OpsTest {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+-?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static TestServer server;
    static Api api;

    // ------------------------------------------------------------------------------ health

    @Test
    void healthAndReadinessNeedNoKey() {
        Api anonymous = new Api(server.baseUrl(), null);
        var health = anonymous.get("/healthz");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("ok");
        var ready = anonymous.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().get("status").asText()).isEqualTo("ready");
        assertThat(api.withKey("not-a-key").get("/readyz").status()).isEqualTo(200);
        assertThat(anonymous.get("/metrics").status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------ metrics

    /** A scrape: content type and every sample, keyed name{sorted labels}. */
    record Scrape(String contentType, Map<String, Double> samples, Map<String, String> types) {
        double value(String key) {
            Double v = samples.get(key);
            return v == null ? 0 : v;
        }
    }

    static Scrape scrape() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            Map<String, Double> samples = new TreeMap<>();
            Map<String, String> types = new TreeMap<>();
            for (String line : r.body().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    String[] parts = line.split("\\s+");
                    assertThat(parts[1]).as("comment line: " + line).isIn("HELP", "TYPE");
                    if (parts[1].equals("TYPE")) {
                        types.put(parts[2], parts[3]);
                    }
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                assertThat(m.matches()).as("a Prometheus sample line: " + line).isTrue();
                String key = m.group(1) + labels(m.group(2));
                double value = Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
                assertThat(samples.put(key, value)).as("series appears once: " + key).isNull();
            }
            return new Scrape(r.headers().firstValue("content-type").orElse(""), samples, types);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String labels(String text) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        Map<String, String> sorted = new TreeMap<>();
        Matcher m = LABEL.matcher(text);
        int end = 0;
        while (m.find()) {
            assertThat(m.start()).as("labels well formed: " + text).isEqualTo(end);
            sorted.put(m.group(1), m.group(2));
            end = m.end();
        }
        assertThat(end).as("labels well formed: " + text).isEqualTo(text.length());
        StringBuilder sb = new StringBuilder("{");
        sorted.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(k).append("=\"").append(v).append('"'));
        return sb.append('}').toString();
    }

    @Test
    void metricsArePrometheusTextWithQueueDepthCountersAndStartLatency() {
        Scrape before = scrape();
        assertThat(before.contentType()).startsWith("text/plain").contains("version=0.0.4");

        assertThat(api.post("/v1/jobs", Map.of("slug", "metered", "queue", "opsq")).status()).isEqualTo(201);
        for (int i = 0; i < 3; i++) {
            assertThat(api.post("/v1/jobs/metered/trigger", Map.of()).status()).isEqualTo(201);
        }
        var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "m", "queues", List.of("opsq"), "max", 2,
                "lease_ms", 600_000));
        assertThat(claimed.json().get("data")).hasSize(2);
        String done = claimed.json().get("data").get(0).get("id").asText();
        assertThat(api.post("/v1/runs/" + done + "/complete", Map.of("worker_id", "m")).status()).isEqualTo(200);

        // queue depth is counted at most every few seconds: wait for the scrape that shows these runs
        String queuedKey = "drover_queue_depth{queue=\"opsq\",status=\"queued\"}";
        String executingKey = "drover_queue_depth{queue=\"opsq\",status=\"executing\"}";
        Scrape after = Await.value("queue depth of opsq in /metrics", Duration.ofSeconds(15), OpsTest::scrape,
                s -> s.value(queuedKey) == 1 && s.value(executingKey) == 1);
        assertThat(after.samples()).doesNotContainKey("drover_queue_depth{queue=\"opsq\",status=\"completed\"}");
        assertThat(after.types()).containsEntry("drover_queue_depth", "gauge")
                .containsEntry("drover_runs_claimed_total", "counter")
                .containsEntry("drover_runs_completed_total", "counter")
                .containsEntry("drover_runs_enqueued_total", "counter")
                .containsEntry("drover_run_start_latency_seconds", "histogram");

        assertThat(after.value("drover_runs_enqueued_total") - before.value("drover_runs_enqueued_total")).isEqualTo(3);
        assertThat(after.value("drover_runs_claimed_total") - before.value("drover_runs_claimed_total")).isEqualTo(2);
        assertThat(after.value("drover_runs_completed_total") - before.value("drover_runs_completed_total"))
                .isEqualTo(1);
        String count = "drover_run_start_latency_seconds_count";
        assertThat(after.value(count) - before.value(count)).as("one latency per claimed run").isEqualTo(2);
        assertThat(after.value("drover_run_start_latency_seconds_sum")).isGreaterThanOrEqualTo(0);

        // buckets: cumulative, ending in +Inf == count
        List<double[]> buckets = new ArrayList<>();
        Pattern bucket = Pattern.compile("drover_run_start_latency_seconds_bucket\\{le=\"([^\"]+)\"}");
        after.samples().forEach((k, v) -> {
            Matcher m = bucket.matcher(k);
            if (m.matches()) {
                double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
                buckets.add(new double[] {le, v});
            }
        });
        assertThat(buckets.size()).as("histogram buckets").isGreaterThan(5);
        buckets.sort((a, b) -> Double.compare(a[0], b[0]));
        for (int i = 1; i < buckets.size(); i++) {
            assertThat(buckets.get(i)[1]).as("buckets are cumulative").isGreaterThanOrEqualTo(buckets.get(i - 1)[1]);
        }
        assertThat(buckets.get(buckets.size() - 1)[0]).isInfinite();
        assertThat(buckets.get(buckets.size() - 1)[1]).isEqualTo(after.value(count));
    }

    // ------------------------------------------------------------------------------ pagination

    /** Follows next_cursor from the first page to the last; checks page sizes on the way. */
    static List<String> walk(String path, int limit) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        while (true) {
            String sep = path.contains("?") ? "&" : "?";
            var page = api.get(path + sep + "limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            JsonNode data = page.json().get("data");
            assertThat(data.size()).as("page size").isLessThanOrEqualTo(limit);
            data.forEach(row -> ids.add(row.get("id").asText()));
            pages++;
            assertThat(page.json().has("next_cursor")).as("next_cursor is always present").isTrue();
            JsonNode next = page.json().get("next_cursor");
            if (next.isNull()) {
                break;
            }
            assertThat(data.size()).as("a page with a next page is full").isEqualTo(limit);
            cursor = next.asText();
            assertThat(pages).as("the walk ends").isLessThan(1000);
        }
        return ids;
    }

    private static List<String> idsFromDb(String sql, Object... params) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                List<String> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
    }

    private static void assertEachOnce(List<String> walked, List<String> expected) {
        assertThat(new HashSet<>(walked)).as("no row twice").hasSize(walked.size());
        assertThat(walked).as("every row, newest first").containsExactlyElementsOf(expected);
    }

    @Test
    void jobsPageByLimitAndCursor() {
        for (int i = 0; i < 7; i++) {
            assertThat(api.post("/v1/jobs", Map.of("slug", "page-" + i)).status()).isEqualTo(201);
        }
        assertThat(api.delete("/v1/jobs/page-3").status()).isEqualTo(200);
        List<String> expected = idsFromDb("SELECT id::text FROM jobs WHERE deleted_at IS NULL ORDER BY id DESC");
        assertThat(expected.size()).isGreaterThanOrEqualTo(6);
        for (int limit : new int[] {1, 2, 3, expected.size() - 1, expected.size(), 500}) {
            assertEachOnce(walk("/v1/jobs", limit), expected);
        }
        // the default page size is 50
        assertThat(api.get("/v1/jobs").json().get("data").size()).isEqualTo(Math.min(50, expected.size()));
        var exact = api.get("/v1/jobs?limit=" + expected.size());
        assertThat(exact.json().get("next_cursor").isNull()).as("no next page when the rows fill the page exactly")
                .isTrue();
    }

    @Test
    void jobVersionsPageByLimitAndCursor() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "versioned")).status()).isEqualTo(201);
        for (int i = 1; i <= 6; i++) {
            assertThat(api.patch("/v1/jobs/versioned", Map.of("priority", i)).status()).isEqualTo(200);
        }
        List<Integer> expected = List.of(7, 6, 5, 4, 3, 2, 1);
        for (int limit : new int[] {1, 2, 3, 7, 500}) {
            List<Integer> versions = new ArrayList<>();
            String cursor = null;
            do {
                var page = api.get("/v1/jobs/versioned/versions?limit=" + limit
                        + (cursor == null ? "" : "&cursor=" + cursor));
                assertThat(page.status()).as(page.text()).isEqualTo(200);
                assertThat(page.json().get("data").size()).isLessThanOrEqualTo(limit);
                page.json().get("data").forEach(v -> versions.add(v.get("version").asInt()));
                cursor = page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
            } while (cursor != null);
            assertThat(versions).as("versions by " + limit).containsExactlyElementsOf(expected);
        }
        var second = api.get("/v1/jobs/versioned/versions?limit=1").json().get("data").get(0);
        assertThat(second.get("priority").asInt()).isEqualTo(6);
    }

    @Test
    void runsPageWithJobAndStatusFilters() {
        String a = api.post("/v1/jobs", Map.of("slug", "pages-a", "queue", "pq-a")).json().get("id").asText();
        String b = api.post("/v1/jobs", Map.of("slug", "pages-b", "queue", "pq-b")).json().get("id").asText();
        assertThat(api.post("/v1/jobs/pages-a/trigger/batch", Map.of("runs", java.util.Collections.nCopies(7,
                Map.of()))).status()).isEqualTo(201);
        var bRuns = api.post("/v1/jobs/pages-b/trigger/batch", Map.of("runs", java.util.Collections.nCopies(5,
                Map.of()))).json().get("data");
        assertThat(api.post("/v1/worker/claim", Map.of("worker_id", "p", "queues", List.of("pq-a"), "max", 3,
                "lease_ms", 600_000))
                .json().get("data")).hasSize(3);
        assertThat(api.post("/v1/runs/" + bRuns.get(2).get("id").asText() + "/cancel", Map.of()).status())
                .isEqualTo(200);
        var bClaimed = api.post("/v1/worker/claim", Map.of("worker_id", "p", "queues", List.of("pq-b"), "max", 2,
                "lease_ms", 600_000)).json().get("data");
        assertThat(bClaimed).hasSize(2);
        for (var run : bClaimed) {
            assertThat(api.post("/v1/runs/" + run.get("id").asText() + "/complete", Map.of("worker_id", "p"))
                    .status()).isEqualTo(200);
        }

        String all = "SELECT id::text FROM runs ORDER BY id DESC";
        assertEachOnce(walk("/v1/runs", 4), idsFromDb(all));
        String ofA = "SELECT id::text FROM runs WHERE job_id = ?::uuid ORDER BY id DESC";
        assertEachOnce(walk("/v1/runs?job=pages-a", 2), idsFromDb(ofA, a));
        assertEachOnce(walk("/v1/runs?job=" + b, 3), idsFromDb(ofA, b));
        String byStatus = "SELECT id::text FROM runs WHERE status = ?::run_status ORDER BY id DESC";
        List<String> executing = idsFromDb(byStatus, "executing");
        assertThat(executing.stream().filter(idsFromDb(ofA, a)::contains).toList()).hasSize(3);
        assertEachOnce(walk("/v1/runs?status=executing", 2), executing);
        assertEachOnce(walk("/v1/runs?status=canceled", 1), idsFromDb(byStatus, "canceled"));
        List<String> queuedOfA = idsFromDb("SELECT id::text FROM runs WHERE job_id = ?::uuid AND status = 'queued' "
                + "ORDER BY id DESC", a);
        assertThat(queuedOfA).hasSize(4);
        assertEachOnce(walk("/v1/runs?job=pages-a&status=queued", 1), queuedOfA);
        assertThat(walk("/v1/runs?job=pages-b&status=executing", 5)).isEmpty();
        // completed runs come from the run list (V6), the other states from the runs table's indexes
        List<String> completed = idsFromDb(byStatus, "completed");
        List<String> completedOfB = idsFromDb("SELECT id::text FROM runs WHERE job_id = ?::uuid AND status = "
                + "'completed' ORDER BY id DESC", b);
        assertThat(completedOfB).containsExactlyInAnyOrder(bClaimed.get(0).get("id").asText(),
                bClaimed.get(1).get("id").asText());
        assertEachOnce(walk("/v1/runs?status=completed", 1), completed);
        assertEachOnce(walk("/v1/runs?job=pages-b&status=completed", 1), completedOfB);
        assertThat(walk("/v1/runs?job=pages-a&status=completed", 2)).isEmpty();
        // every row a filter returns matches it
        api.get("/v1/runs?job=pages-b&limit=500").json().get("data").forEach(r ->
                assertThat(r.get("job_slug").asText()).isEqualTo("pages-b"));
    }

    @Test
    void aWalkIsNotDisturbedByRunsCreatedDuringIt() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "walk-live", "queue", "pq-live")).status()).isEqualTo(201);
        api.post("/v1/jobs/walk-live/trigger/batch", Map.of("runs", java.util.Collections.nCopies(9, Map.of())));
        List<String> expected = idsFromDb("SELECT id::text FROM runs WHERE job_id = (SELECT id FROM jobs WHERE "
                + "slug = 'walk-live') ORDER BY id DESC");
        List<String> walked = new ArrayList<>();
        String cursor = null;
        do {
            var page = api.get("/v1/runs?job=walk-live&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            page.json().get("data").forEach(r -> walked.add(r.get("id").asText()));
            // new runs while walking: newer than every row already seen, so never in a later page
            assertThat(api.post("/v1/jobs/walk-live/trigger", Map.of()).status()).isEqualTo(201);
            cursor = page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
        } while (cursor != null);
        assertEachOnce(walked, expected);
    }

    @Test
    void runEventsPageInOrder() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "evented", "queue", "pq-ev", "max_attempts", 5,
                "retry", Map.of("strategy", "fixed", "initial_delay_ms", 0))).status()).isEqualTo(201);
        String id = api.post("/v1/jobs/evented/trigger", Map.of()).json().get("id").asText();
        for (int i = 0; i < 3; i++) {
            var c = Await.value("the run to be claimable", Duration.ofSeconds(10), () -> api.post("/v1/worker/claim",
                    Map.of("worker_id", "e", "queues", List.of("pq-ev"))).json().get("data"), d -> d.size() == 1);
            assertThat(c.get(0).get("id").asText()).isEqualTo(id);
            assertThat(api.post("/v1/runs/" + id + "/fail", Map.of("worker_id", "e")).status()).isEqualTo(200);
        }
        api.awaitStatus("/v1/runs/" + id, "queued", Duration.ofSeconds(10));
        List<String> full = new ArrayList<>();
        api.get("/v1/runs/" + id + "/events").json().get("data").forEach(e -> full.add(e.get("id").asText()));
        assertThat(full.size()).isGreaterThanOrEqualTo(10);
        for (int limit : new int[] {1, 3, full.size()}) {
            assertThat(walk("/v1/runs/" + id + "/events", limit)).as("events by " + limit).containsExactlyElementsOf(full);
        }
        Set<String> types = new HashSet<>();
        api.get("/v1/runs/" + id + "/events").json().get("data").forEach(e -> types.add(e.get("type").asText()));
        assertThat(types).contains("created", "claimed", "attempt_failed", "promoted");
    }
}
