package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test worker over the raw worker protocol: claims runs of one queue and completes each with
 * {@code handler(run)}; a handler that throws fails the run (not retryable). Counts executions per
 * step so tests can check that nothing ran twice.
 */
final class StepWorker implements AutoCloseable {
    private final Api api;
    private final String queue;
    private final Function<JsonNode, Object> handler;
    private final Thread thread;
    private volatile boolean running = true;
    final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    private final long leaseMs;

    StepWorker(Api api, String queue, Function<JsonNode, Object> handler) {
        this(api, queue, handler, 30_000);
    }

    StepWorker(Api api, String queue, Function<JsonNode, Object> handler, long leaseMs) {
        this.leaseMs = leaseMs;
        this.api = api;
        this.queue = queue;
        this.handler = handler;
        this.thread = Thread.ofVirtual().start(this::loop);
    }

    private void loop() {
        while (running) {
            try {
                var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w-" + queue, "queues", List.of(queue),
                        "max", 100, "wait_ms", 200, "lease_ms", leaseMs));
                if (claimed.status() != 200) {
                    Thread.sleep(50);
                    continue;
                }
                for (JsonNode run : claimed.json().get("data")) {
                    String id = run.get("id").asText();
                    executions.computeIfAbsent(run.path("step_id").asText(""), k -> new AtomicInteger()).incrementAndGet();
                    executions.computeIfAbsent(run.path("workflow_run_id").asText("") + "/" + run.path("step_id").asText(""),
                            k -> new AtomicInteger()).incrementAndGet();
                    try {
                        Object result = handler.apply(run);
                        api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w-" + queue,
                                "result", result == null ? Map.of() : result));
                    } catch (RuntimeException e) {
                        api.post("/v1/runs/" + id + "/fail", Map.of("worker_id", "w-" + queue, "retryable", false,
                                "error", Map.of("type", "test", "message", String.valueOf(e.getMessage()))));
                    }
                }
            } catch (Exception e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
