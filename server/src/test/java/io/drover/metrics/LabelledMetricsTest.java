package io.drover.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The labelled metrics of issue 22: run counters and the run duration histogram by job and queue
 * (with the cap on job label values), HTTP requests by route template, HikariCP and JVM series.
 * A server per test, with a cap of 3 jobs, so that the cap test starts from no job seen.
 */
@DroverTest(env = "DROVER_METRICS_MAX_JOBS=3", lifecycle = DroverTest.Lifecycle.PER_METHOD)
class LabelledMetricsTest {
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})?\\s+(\\S+)");

    TestServer server;
    Api api;

    @Test
    void runs_of_two_jobs_show_labelled_counters_and_duration_histogram() {
        job("lab-a", "laba");
        job("lab-b", "labb");
        for (int i = 0; i < 3; i++) {
            trigger("lab-a");
        }
        for (int i = 0; i < 2; i++) {
            trigger("lab-b");
        }
        List<String> a = claim("laba", 3);
        List<String> b = claim("labb", 2);
        complete(a.get(0));
        complete(a.get(1));
        assertThat(api.post("/v1/runs/" + a.get(2) + "/fail", Map.of("worker_id", "w", "error",
                Map.of("type", "Boom", "message", "no"), "retryable", false)).status()).isEqualTo(200);
        complete(b.get(0));
        complete(b.get(1));

        Map<String, Double> m = scrape();
        String la = "job=\"lab-a\",queue=\"laba\"";
        String lb = "job=\"lab-b\",queue=\"labb\"";
        assertThat(m).containsEntry("drover_job_runs_enqueued_total{" + la + "}", 3.0)
                .containsEntry("drover_job_runs_enqueued_total{" + lb + "}", 2.0)
                .containsEntry("drover_job_runs_claimed_total{" + la + "}", 3.0)
                .containsEntry("drover_job_runs_claimed_total{" + lb + "}", 2.0)
                .containsEntry("drover_job_runs_completed_total{" + la + "}", 2.0)
                .containsEntry("drover_job_runs_completed_total{" + lb + "}", 2.0)
                .containsEntry("drover_job_attempts_failed_total{" + la + "}", 1.0)
                .containsEntry("drover_run_duration_seconds_count{job=\"lab-a\",outcome=\"completed\",queue=\"laba\"}", 2.0)
                .containsEntry("drover_run_duration_seconds_count{job=\"lab-a\",outcome=\"failed\",queue=\"laba\"}", 1.0)
                .containsEntry("drover_run_duration_seconds_count{job=\"lab-b\",outcome=\"completed\",queue=\"labb\"}", 2.0)
                .containsEntry("drover_run_duration_seconds_bucket{job=\"lab-b\",le=\"+Inf\",outcome=\"completed\","
                        + "queue=\"labb\"}", 2.0)
                .containsKey("drover_run_duration_seconds_bucket{job=\"lab-a\",le=\"0.005\",outcome=\"completed\","
                        + "queue=\"laba\"}");
        assertThat(m.get("drover_run_duration_seconds_sum{job=\"lab-a\",outcome=\"completed\",queue=\"laba\"}"))
                .isGreaterThanOrEqualTo(0);
        assertThat(m).containsEntry("drover_job_attempts_failed_total{" + lb + "}", 0.0);
        assertThat(m.keySet()).noneMatch(k -> k.contains(JobMetrics.OTHER));
    }

    @Test
    void http_requests_are_counted_by_route_template_method_and_status_class() {
        job("lab-h", "labh");
        trigger("lab-h");
        trigger("lab-h");
        assertThat(api.post("/v1/jobs/no-such-job/trigger", Map.of()).status()).isEqualTo(404);
        String run = claim("labh", 1).get(0);
        assertThat(api.get("/v1/runs/" + run).status()).isEqualTo(200);
        assertThat(api.get("/v1/no-such-route/" + run).status()).isEqualTo(404);

        Map<String, Double> m = scrape();
        assertThat(m).containsEntry(
                "drover_http_server_requests_seconds_count{method=\"POST\",route=\"/v1/jobs/{job}/trigger\",status=\"2xx\"}",
                2.0)
                .containsEntry(
                "drover_http_server_requests_seconds_count{method=\"POST\",route=\"/v1/jobs/{job}/trigger\",status=\"4xx\"}",
                1.0)
                .containsEntry("drover_http_server_requests_seconds_count{method=\"GET\",route=\"/v1/runs/{id}\",status=\"2xx\"}",
                        1.0)
                .containsEntry("drover_http_server_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"4xx\"}",
                        1.0)
                .containsKey("drover_http_server_requests_seconds_bucket{le=\"0.005\",method=\"POST\","
                        + "route=\"/v1/jobs/{job}/trigger\",status=\"2xx\"}");
        assertThat(m.keySet()).as("no concrete path becomes a label").noneMatch(k -> k.contains(run));
    }

    @Test
    void job_label_values_past_the_cap_fold_into_other() {
        for (int i = 1; i <= 5; i++) {
            job("cap-" + i, "capq");
        }
        for (int i = 1; i <= 5; i++) {
            trigger("cap-" + i); // one transaction each: cap-1..cap-3 are the first three jobs seen
        }
        trigger("cap-5");
        assertThat(claim("capq", 6)).hasSize(6);

        Map<String, Double> m = scrape();
        for (int i = 1; i <= 3; i++) {
            assertThat(m).containsEntry("drover_job_runs_enqueued_total{job=\"cap-" + i + "\",queue=\"capq\"}", 1.0)
                    .containsEntry("drover_job_runs_claimed_total{job=\"cap-" + i + "\",queue=\"capq\"}", 1.0);
        }
        assertThat(m).containsEntry("drover_job_runs_enqueued_total{job=\"_other\",queue=\"capq\"}", 3.0)
                .containsEntry("drover_job_runs_claimed_total{job=\"_other\",queue=\"capq\"}", 3.0);
        assertThat(m.keySet()).noneMatch(k -> k.contains("cap-4") || k.contains("cap-5"));
    }

    @Test
    void hikari_pools_jvm_gc_memory_and_process_series_are_published() {
        Map<String, Double> m = scrape();
        List<String> names = new ArrayList<>();
        m.keySet().forEach(k -> names.add(k.replaceAll("\\{.*", "")));
        assertThat(m).containsKey("hikaricp_connections_max{pool=\"drover\"}")
                .containsKey("hikaricp_connections_max{pool=\"drover-queue\"}")
                .containsKey("hikaricp_connections_active{pool=\"drover\"}")
                .containsKey("hikaricp_connections_pending{pool=\"drover-queue\"}");
        assertThat(names).contains("hikaricp_connections_acquire_seconds_count", "jvm_memory_used_bytes",
                "jvm_threads_live_threads", "jvm_gc_max_data_size_bytes", "jvm_gc_memory_allocated_bytes_total",
                "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds", "system_cpu_count",
                "process_files_open_files");
    }

    /** docs/grafana-dashboard.json asks only for series the server publishes (names drift otherwise). */
    @Test
    void every_series_the_grafana_dashboard_queries_is_published() throws Exception {
        job("dash", "dashq");
        trigger("dash");
        trigger("dash");
        complete(claim("dashq", 1).get(0));
        JsonNode dashboard = io.drover.http.Json.MAPPER.readTree(
                java.nio.file.Files.readString(java.nio.file.Path.of("../docs/grafana-dashboard.json")));
        List<String> queries = new ArrayList<>();
        dashboard.get("panels").forEach(p -> {
            if (p.has("targets")) {
                p.get("targets").forEach(t -> queries.add(t.get("expr").asText()));
            }
        });
        dashboard.get("templating").get("list").forEach(v -> {
            if (v.path("query").has("query")) {
                queries.add(v.get("query").get("query").asText());
            }
        });
        assertThat(queries).hasSizeGreaterThan(20);
        java.util.Set<String> published = new java.util.TreeSet<>();
        io.drover.testing.Await.until("queue depth counted", java.time.Duration.ofSeconds(15),
                () -> scrape().keySet().stream().anyMatch(k -> k.startsWith("drover_queue_depth{")));
        scrape().keySet().forEach(k -> published.add(k.replaceAll("\\{.*", "")));
        Matcher names = Pattern.compile("\\b(?:drover|hikaricp|jvm|process|system)_[a-z0-9_]+").matcher(
                String.join("\n", queries));
        java.util.Set<String> asked = new java.util.TreeSet<>();
        while (names.find()) {
            asked.add(names.group());
        }
        // A GC pause is only published after the first one; its siblings show the GC binder is bound.
        asked.removeIf(n -> n.startsWith("jvm_gc_pause_seconds"));
        assertThat(asked).hasSizeGreaterThan(15);
        assertThat(published).containsAll(asked);
    }

    // ------------------------------------------------------------------------------ helpers

    private void job(String slug, String queue) {
        assertThat(api.post("/v1/jobs", Map.of("slug", slug, "queue", queue)).status()).isEqualTo(201);
    }

    private void trigger(String slug) {
        assertThat(api.post("/v1/jobs/" + slug + "/trigger", Map.of()).status()).isEqualTo(201);
    }

    private List<String> claim(String queue, int n) {
        List<String> ids = new ArrayList<>();
        while (ids.size() < n) {
            var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of(queue),
                    "max", n - ids.size(), "lease_ms", 600_000, "wait_ms", 0));
            assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
            JsonNode data = claimed.json().get("data");
            assertThat(data.size()).as("runs left to claim in " + queue).isPositive();
            data.forEach(r -> ids.add(r.get("id").asText()));
        }
        return ids;
    }

    private void complete(String runId) {
        assertThat(api.post("/v1/runs/" + runId + "/complete", Map.of("worker_id", "w")).status()).isEqualTo(200);
    }

    /** {@code {b="1",a="2"}} as {@code {a="2",b="1"}}: keys that do not depend on the exposition's label order. */
    private static String sorted(String labels) {
        if (labels == null) {
            return "";
        }
        Map<String, String> byName = new TreeMap<>();
        Matcher m = LABEL.matcher(labels.substring(1, labels.length() - 1));
        while (m.find()) {
            byName.put(m.group(1), m.group(2));
        }
        StringBuilder sb = new StringBuilder("{");
        byName.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(k).append("=\"").append(v).append('"'));
        return sb.append('}').toString();
    }

    /** Every sample of one scrape, keyed name{labels sorted by name}. */
    private Map<String, Double> scrape() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            Map<String, Double> samples = new TreeMap<>();
            for (String line : r.body().split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                assertThat(m.matches()).as(line).isTrue();
                samples.put(m.group(1) + sorted(m.group(2)),
                        Double.parseDouble(m.group(3).replace("+Inf", "Infinity")));
            }
            return samples;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
