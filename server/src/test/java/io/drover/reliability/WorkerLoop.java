package io.drover.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * A worker speaking the raw worker protocol: claim a batch, "execute" each run (record it, pause a
 * little), report the batch in one call, and keep retrying the report while the server is away.
 * What a run does is decided by its payload's {@code mode} and its attempt number, so the test
 * knows the terminal state each run's policy dictates:
 * <ul>
 *   <li>{@code ok}: succeeds; {@code flaky}: the first attempt fails (retryable), later ones succeed;</li>
 *   <li>{@code always}: every attempt fails (retryable), so attempts run out: dead_letter;</li>
 *   <li>{@code fatal}: fails with a non-retryable error: failed.</li>
 * </ul>
 */
final class WorkerLoop implements Runnable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Where executions and report answers go (a map in threads, a file in a worker process). */
    interface Sink {
        void executed(String runId, int attempt, String worker);

        void reported(String runId, int attempt, String worker, boolean accepted);
    }

    private final String baseUrl;
    private final String key;
    private final String workerId;
    private final String queue;
    private final int batch;
    private final long leaseMs;
    private final Sink sink;
    private final BooleanSupplier stop;
    private final int maxWorkMs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    WorkerLoop(String baseUrl, String key, String workerId, String queue, int batch, long leaseMs, Sink sink,
            BooleanSupplier stop) {
        this(baseUrl, key, workerId, queue, batch, leaseMs, sink, stop, 5);
    }

    /** {@code maxWorkMs}: a batch "works" a random 0..maxWorkMs ms between claim and report. */
    WorkerLoop(String baseUrl, String key, String workerId, String queue, int batch, long leaseMs, Sink sink,
            BooleanSupplier stop, int maxWorkMs) {
        this.maxWorkMs = maxWorkMs;
        this.baseUrl = baseUrl;
        this.key = key;
        this.workerId = workerId;
        this.queue = queue;
        this.batch = batch;
        this.leaseMs = leaseMs;
        this.sink = sink;
        this.stop = stop;
    }

    static boolean succeeds(String mode, int attempt) {
        return switch (mode) {
            case "ok" -> true;
            case "flaky" -> attempt > 1;
            default -> false;
        };
    }

    @Override
    public void run() {
        while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
            JsonNode claimed;
            try {
                ObjectNode body = JSON.createObjectNode().put("worker_id", workerId).put("max", batch)
                        .put("wait_ms", 500).put("lease_ms", leaseMs);
                body.putArray("queues").add(queue);
                HttpResponse<String> r = post("/v1/worker/claim", body, Duration.ofSeconds(10));
                if (r.statusCode() != 200) {
                    pause(100);
                    continue;
                }
                claimed = JSON.readTree(r.body()).get("data");
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    return;
                }
                pause(100);
                continue;
            }
            if (claimed.isEmpty()) {
                continue;
            }
            ArrayNode results = JSON.createArrayNode();
            for (JsonNode run : claimed) {
                String id = run.get("id").asText();
                int attempt = run.get("attempt").asInt();
                sink.executed(id, attempt, workerId);
                String mode = run.path("payload").path("mode").asText("ok");
                ObjectNode item = results.addObject().put("run_id", id).put("attempt", attempt);
                if (succeeds(mode, attempt)) {
                    item.putObject("result").put("attempt", attempt);
                } else {
                    item.putObject("error").put("type", mode).put("message", "attempt " + attempt + " fails by design");
                    item.put("retryable", !"fatal".equals(mode));
                }
            }
            pause(ThreadLocalRandom.current().nextInt(0, maxWorkMs + 1)); // the "work" of the batch
            report(claimed, results);
        }
    }

    /** Reports until the server answers (it may be restarting), for at most a minute. */
    private void report(JsonNode claimed, ArrayNode results) {
        ObjectNode body = JSON.createObjectNode().put("worker_id", workerId);
        body.set("results", results);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            try {
                HttpResponse<String> r = post("/v1/worker/complete", body, Duration.ofSeconds(15));
                if (r.statusCode() == 200) {
                    JsonNode data = JSON.readTree(r.body()).get("data");
                    for (int i = 0; i < data.size(); i++) {
                        sink.reported(data.get(i).get("run_id").asText(), claimed.get(i).get("attempt").asInt(),
                                workerId, data.get(i).get("ok").asBoolean());
                    }
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                // the server is away: try again
            }
            pause(200);
        }
    }

    private HttpResponse<String> post(String path, ObjectNode body, Duration timeout) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A worker as its own process, for kill -9: {@code WorkerLoop <baseUrl> <key> <workerId> <queue>
     * <threads> <logFile>}. Each execution and report answer is one write(2) of one line, so the
     * lines written before a SIGKILL are in the file.
     */
    public static void main(String[] args) throws Exception {
        // a worker process works longer per batch, so that a kill -9 mostly lands mid-run
        String base = args[0];
        String key = args[1];
        String worker = args[2];
        String queue = args[3];
        int threads = Integer.parseInt(args[4]);
        java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(java.nio.file.Path.of(args[5]),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND,
                java.nio.file.StandardOpenOption.WRITE);
        Sink sink = new Sink() {
            @Override
            public void executed(String runId, int attempt, String w) {
                write("E " + runId + " " + attempt + " " + w + "\n");
            }

            @Override
            public void reported(String runId, int attempt, String w, boolean accepted) {
                write("R " + runId + " " + attempt + " " + w + " " + accepted + "\n");
            }

            private synchronized void write(String line) {
                try {
                    out.write(java.nio.ByteBuffer.wrap(line.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = Thread.ofPlatform().name("worker-" + i).start(
                    new WorkerLoop(base, key, worker + "-t" + i, queue, 25, 3_000, sink, () -> false, 150));
        }
        for (Thread t : ts) {
            t.join();
        }
    }
}
