package io.drover.bench.peers;

import io.drover.DroverServer;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drover as users run it: a node (server, production defaults) in this JVM, an SDK {@link DroverClient}
 * that triggers over HTTP, and an SDK {@link Worker} that claims over HTTP (long poll) and reports
 * completions in batches. The settings are the ones docs/benchmarks.md gives for throughput.
 */
final class DroverContender implements Contender {
    private static final String KEY = "bench-admin-key-0123456789abcdef";
    private static final String SLUG = "peers-noop";
    private static final String QUEUE = "peers";

    private DroverServer server;
    private DroverClient client;
    private DroverClient workerClient;
    private Worker worker;
    private Path dataDir;

    @Override
    public void init(String jdbcUrl, int threads, Sink sink) throws Exception {
        dataDir = Files.createTempDirectory("drover-peers-node");
        Map<String, String> env = new HashMap<>();
        env.put("DROVER_PORT", "0");
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATA_DIR", dataDir.toString());
        env.put("DROVER_DATABASE_URL", jdbcUrl + "?user=postgres");
        env.put("DROVER_ADMIN_API_KEY", KEY);
        env.put("DROVER_SECRETS_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        server = DroverServer.start(Config.fromEnv(env));
        String base = "http://127.0.0.1:" + server.port();
        client = DroverClient.builder().baseUrl(base).apiKey(KEY).requestTimeout(Duration.ofSeconds(60)).build();
        client.createJob(JobSpec.builder(SLUG).queue(QUEUE).build());
        workerClient = DroverClient.builder().baseUrl(base).apiKey(KEY).build();
        worker = Worker.builder().client(workerClient).queue(QUEUE).workerId("peers-worker")
                .concurrency(threads).prefetch(prefetch(threads)).claimers(claimers()).claimWait(Duration.ofSeconds(2))
                .completionBatchSize(500).completionLinger(Duration.ofMillis(lingerMs()))
                .handler(SLUG, (ctx, payload) -> {
                    Sink.executed(payload.get("t").asLong());
                    return null;
                })
                .build();
    }

    /**
     * Claim-ahead, as the SDK documents for many short runs: three times the concurrency, so that
     * the worker holds at most 4x its concurrency unfinished, as db-scheduler's lock-and-fetch
     * (1.0, 4.0) holds at most 4x its threads. BENCH_DROVER_PREFETCH overrides it, for measuring
     * other values.
     */
    static int prefetch(int threads) {
        String value = System.getenv("BENCH_DROVER_PREFETCH");
        return value == null || value.isBlank() ? 3 * threads : Integer.parseInt(value.trim());
    }

    /**
     * Claim requests on the wire at once: 2, as the SDK documents for many short runs (the next
     * claim is on its way while one's answer comes back). BENCH_DROVER_CLAIMERS overrides it.
     */
    static int claimers() {
        String value = System.getenv("BENCH_DROVER_CLAIMERS");
        return value == null || value.isBlank() ? 2 : Integer.parseInt(value.trim());
    }

    /** Completion linger, 5 ms unless BENCH_DROVER_LINGER_MS says otherwise (for measuring). */
    static long lingerMs() {
        String value = System.getenv("BENCH_DROVER_LINGER_MS");
        return value == null || value.isBlank() ? 5 : Long.parseLong(value.trim());
    }

    @Override
    public void enqueue(List<Long> payloads) {
        List<TriggerRequest> batch = new ArrayList<>(payloads.size());
        for (Long p : payloads) {
            batch.add(TriggerRequest.of(Map.of("t", p)));
        }
        if (batch.size() == 1) {
            client.trigger(SLUG, batch.get(0));
        } else {
            client.triggerBatchIds(SLUG, batch);
        }
    }

    @Override
    public void startWorkers() {
        worker.start();
    }

    @Override
    public long done(Connection c, long enqueued) throws Exception {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM runs WHERE status = 'completed'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public Map<String, String> settings(int threads) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("server", "in-process DroverServer, production defaults (DB pool 32, poll interval 1 s); HTTP on 127.0.0.1");
        m.put("enqueue", "DroverClient.triggerBatchIds over HTTP (answer: ids only; single trigger for batches of 1)");
        m.put("worker", "one SDK Worker, concurrency " + threads + ", prefetch " + prefetch(threads)
                + " (claims ahead into a local buffer; long poll claimWait 2 s), " + claimers() + " claimer(s)");
        m.put("completions", "batched: up to 500 per request, linger " + lingerMs() + " ms, 2 requests in flight");
        m.put("done", "runs.status = 'completed' (committed by the server)");
        return m;
    }

    @Override
    public void close() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (workerClient != null) {
            workerClient.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (dataDir != null) {
            try (var paths = Files.walk(dataDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
