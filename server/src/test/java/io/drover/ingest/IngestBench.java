package io.drover.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Ingest throughput and latency on the embedded database: Standard Webhooks deliveries, each
 * verified, stored and triggering one job run, from {@code threads} concurrent senders. Not a test
 * (no Test suffix); run with
 * {@code mvn -B -q -pl server -am test -o -Dtest=IngestBench -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dingest.baseline=true}: the same number of plain API triggers, for comparison on the same machine).
 */
class IngestBench {
    @org.junit.jupiter.api.Test
    void run() throws Exception {
        int n = Integer.getInteger("ingest.n", 4000);
        int threads = Integer.getInteger("ingest.threads", 8);
        try (TestServer server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"))) {
            Api api = new Api(server);
            api.post("/v1/jobs", Map.of("slug", "bench-job", "queue", "bench"));
            JsonNode src = api.post("/v1/event-sources", Map.of("slug", "bench")).json();
            String url = server.baseUrl() + "/v1/ingest/" + src.get("id").asText();
            String secret = src.get("secret").asText();
            api.post("/v1/event-sources/bench/subscriptions", Map.of("job", "bench-job",
                    "filter", Map.of("path", "event.type", "equals", "t"), "payload", Map.of("id", "{{event.id}}")));
            HttpClient http = HttpClient.newHttpClient();
            List<Long> micros = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long start = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = t;
                fs.add(pool.submit(() -> {
                    for (int i = from; i < n; i += threads) {
                        byte[] body = ("{\"type\":\"t\",\"id\":" + i + "}").getBytes();
                        long ts = System.currentTimeMillis() / 1000;
                        String id = "m" + i;
                        HttpRequest req = Boolean.getBoolean("ingest.baseline")
                                ? HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/jobs/bench-job/trigger"))
                                        .header("Authorization", "Bearer " + TestServer.ADMIN_KEY)
                                        .POST(HttpRequest.BodyPublishers.ofString("{\"payload\":{\"id\":" + i + "}}"))
                                        .build()
                                : HttpRequest.newBuilder(URI.create(url))
                                .header("webhook-id", id).header("webhook-timestamp", Long.toString(ts))
                                .header("webhook-signature", IngestTest.standardSignature(secret, id, ts, body))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                        long t0 = System.nanoTime();
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        micros.add((System.nanoTime() - t0) / 1000);
                        if (r.statusCode() != 202 && r.statusCode() != 201) {
                            throw new IllegalStateException(r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            double secs = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            List<Long> sorted = new ArrayList<>(micros);
            Collections.sort(sorted);
            System.out.printf((Boolean.getBoolean("ingest.baseline") ? "TRIGGER" : "INGEST") + " n=%d threads=%d: %.0f deliveries/s, p50 %.2f ms, p99 %.2f ms%n", n, threads,
                    n / secs, sorted.get(n / 2) / 1000.0, sorted.get((int) (n * 0.99)) / 1000.0);
        }
    }
}
