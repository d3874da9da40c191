package io.drover.client;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Collects a {@link Worker}'s client, handlers and settings. Only the client and one handler are
 * required; the defaults are queue {@code default}, concurrency 8, a 10 s claim long-poll, a 30 s
 * lease heartbeated every third of it, batches of up to 100 outcomes lingering 5 ms, and a 30 s
 * shutdown timeout.
 */
public final class WorkerBuilder {

    private DroverClient client;
    private final Map<String, RunHandler> handlers = new LinkedHashMap<>();
    private final Map<String, Integer> handlerLimits = new LinkedHashMap<>();
    private final List<String> queues = new ArrayList<>();
    private String workerId;
    private int concurrency = 8;
    private int prefetch;
    private Integer maxPendingOutcomes;
    private Duration claimWait = Duration.ofSeconds(10);
    private Duration lease = Duration.ofSeconds(30);
    private Duration heartbeatInterval;
    private int completionBatchSize = 100;
    private Duration completionLinger = Duration.ofMillis(5);
    private int completionRetries = 10;
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private int claimers = 1;
    private Duration cancelPollInterval = Duration.ofSeconds(1);
    private WorkerListener listener;

    WorkerBuilder() {
    }

    /** Sets the client the worker talks to the server with. */
    public WorkerBuilder client(DroverClient value) {
        client = Objects.requireNonNull(value, "client");
        return this;
    }

    /** Registers the handler of one job slug. */
    public WorkerBuilder handler(String jobSlug, RunHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (handlers.putIfAbsent(Objects.requireNonNull(jobSlug, "jobSlug"), handler) != null) {
            throw new IllegalArgumentException("a handler for job '" + jobSlug + "' is already registered");
        }
        return this;
    }

    /** Registers a handler whose payload is mapped to {@code payloadType} first. */
    public <T> WorkerBuilder handler(String jobSlug, Class<T> payloadType, TypedHandler<T> handler) {
        Objects.requireNonNull(payloadType, "payloadType");
        Objects.requireNonNull(handler, "handler");
        return handler(jobSlug, (ctx, payload) -> handler.handle(ctx, ctx.payloadAs(payloadType)));
    }

    /**
     * Registers the handler of one job slug that runs at most {@code maxConcurrent} runs of that
     * job at once in this worker (within the worker's {@link #concurrency}). Runs of the job
     * claimed beyond the cap wait in the worker's buffer, leased, while runs of other jobs start;
     * for a cap across all workers, set the job's {@code max_concurrency} instead.
     */
    public WorkerBuilder handler(String jobSlug, int maxConcurrent, RunHandler handler) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent of job '" + jobSlug + "' must be at least 1, got "
                    + maxConcurrent);
        }
        handler(jobSlug, handler);
        handlerLimits.put(jobSlug, maxConcurrent);
        return this;
    }

    /** Adds a queue to take runs from; without any, the worker serves {@code default}. */
    public WorkerBuilder queue(String value) {
        queues.add(Objects.requireNonNull(value, "queue"));
        return this;
    }

    /** Sets the worker id; the default is {@code <host>-<pid>-<random>}. */
    public WorkerBuilder workerId(String value) { workerId = value; return this; }

    /** Sets the most runs executed at once; a run counts until its outcome is acknowledged by the server. */
    public WorkerBuilder concurrency(int value) { concurrency = value; return this; }

    /** Sets how long one claim waits on the server when nothing is ready (0 to 30 s). */
    public WorkerBuilder claimWait(Duration value) { claimWait = value; return this; }

    /** Sets how long each run stays this worker's without a heartbeat. */
    public WorkerBuilder lease(Duration value) { lease = value; return this; }

    /** Sets how often leases are extended; the default is a third of the lease. */
    public WorkerBuilder heartbeatInterval(Duration value) { heartbeatInterval = value; return this; }

    /** Sets the most outcomes reported in one call. */
    public WorkerBuilder completionBatchSize(int value) { completionBatchSize = value; return this; }

    /** Sets how long an outcome may wait for others to join its batch. */
    public WorkerBuilder completionLinger(Duration value) { completionLinger = value; return this; }

    /** Sets how many times a batch of outcomes that got no answer is retried. */
    public WorkerBuilder completionRetries(int value) { completionRetries = value; return this; }

    /** Sets how long {@link Worker#close()} waits for running handlers. */
    public WorkerBuilder shutdownTimeout(Duration value) { shutdownTimeout = value; return this; }

    /**
     * Lets the worker claim up to {@code value} runs ahead of a free place (default 0). They wait
     * in a local buffer, so a handler that finishes starts the next run at once instead of after
     * a claim round trip: for many short runs this multiplies throughput (e.g. the concurrency
     * again). A prefetched run is leased (and heartbeated) from the moment it is claimed, and its
     * timeout runs from then, so keep it 0 or small for long handlers.
     */
    public WorkerBuilder prefetch(int value) { prefetch = value; return this; }

    /**
     * Caps the finished runs whose outcomes await the server's acknowledgement; at the cap the
     * worker stops claiming until reports catch up. Default: the larger of concurrency + prefetch
     * and twice the completion batch size.
     */
    public WorkerBuilder maxPendingOutcomes(int value) { maxPendingOutcomes = value; return this; }

    /**
     * Sets how many claim requests may be on the wire at once (default 1, at most 8). With one, a
     * worker whose handlers are quicker than a claim round trip waits for each claim's answer before
     * it asks again; with two, the next claim is already on its way. Together they never take more
     * than concurrency + prefetch unfinished runs: each claim asks only for room no other claim in
     * flight has asked for. Useful with prefetch, for many short runs; a parked (long-polling) claim
     * holds a connection each.
     */
    public WorkerBuilder claimers(int value) { claimers = value; return this; }

    /**
     * Sets how often the worker asks the server whether the runs its handlers are executing were
     * canceled (default 1 s; one read-only call for all of them, none while no handler runs). A
     * canceled run's handler is then interrupted and sees {@link RunContext#isCanceled()} within
     * about this long. {@link Duration#ZERO} turns the poll off: cancels are seen at the next
     * heartbeat (a third of the lease).
     */
    public WorkerBuilder cancelPollInterval(Duration value) { cancelPollInterval = value; return this; }

    /** Sets a listener for metrics or logs. */
    public WorkerBuilder listener(WorkerListener value) { listener = value; return this; }

    /** @return the worker, not started yet */
    public Worker build() {
        if (client == null) {
            throw new IllegalStateException("a client is required: call client(DroverClient.fromEnv()) or similar");
        }
        if (handlers.isEmpty()) {
            throw new IllegalStateException("at least one handler is required: call handler(jobSlug, handler)");
        }
        Duration interval = heartbeatInterval != null ? heartbeatInterval : lease.dividedBy(3);
        WorkerConfig config = new WorkerConfig(workerId != null ? workerId : defaultWorkerId(),
                queues.isEmpty() ? List.of("default") : queues, concurrency, prefetch,
                maxPendingOutcomes != null ? maxPendingOutcomes
                        : Math.max(concurrency + prefetch, 2 * completionBatchSize),
                claimWait, lease, interval,
                completionBatchSize, completionLinger, completionRetries, shutdownTimeout, claimers,
                cancelPollInterval);
        return new Worker(client, config, Map.copyOf(handlers), Map.copyOf(handlerLimits), new Notifier(listener));
    }

    static String defaultWorkerId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "worker";
            }
        }
        return host + "-" + ProcessHandle.current().pid() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    }
}
