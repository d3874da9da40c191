package io.drover.dispatch;

import io.drover.endpoints.Endpoint;
import io.drover.endpoints.EndpointHealth;
import io.drover.http.Json;
import io.drover.jobs.JobSpec;
import io.drover.jobs.JobStore;
import io.drover.maintenance.Service;
import io.drover.outbound.OutboundClients;
import io.drover.outbound.OutboundGuard;
import io.drover.outbound.OutboundRefusedException;
import io.drover.runs.Run;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.runs.Transitions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes {@code execution: "http"} runs: takes ready runs into {@code dequeued}, moves each to
 * {@code executing} and POSTs a signed request on a virtual thread, at most {@code concurrency} at
 * once. 2xx completes the run (a JSON body becomes its result); 408, 429, 5xx, time-outs and
 * connection errors are retryable failures; any other status fails the run without retry.
 *
 * <p>Requests go through Jetty's client, whose address resolver is the {@link OutboundGuard}: the
 * endpoint's name is looked up once, every address is checked, and the connection is made to
 * those addresses only (docs/decisions.md). A refused destination fails the attempt with the
 * error type {@code outbound_refused}.
 */
public final class HttpPushDispatcher extends Service {
    private static final Logger log = LoggerFactory.getLogger(HttpPushDispatcher.class);
    private static final int MAX_ERROR_BODY = 2048;
    /** The largest answer read; a larger one fails the attempt (it would become the run's result). */
    static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

    private final RunStore runs;
    private final JobStore jobs;
    private final String dispatcherId;
    private final Semaphore slots;
    private final int concurrency;
    private final Duration readTimeout;
    private final long pollMs;
    private final HttpClient client;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile io.drover.secrets.SecretStore secrets;
    private volatile OutboundGuard outbound = OutboundGuard.publicOnly();
    private volatile EndpointHealth health;
    private volatile io.drover.telemetry.Tracing tracing = io.drover.telemetry.Tracing.off();

    public HttpPushDispatcher(RunStore runs, JobStore jobs, String dispatcherId, int concurrency,
            int connectTimeoutMs, int readTimeoutMs, long pollMs) {
        super("push");
        this.runs = runs;
        this.jobs = jobs;
        this.dispatcherId = dispatcherId;
        this.concurrency = concurrency;
        this.slots = new Semaphore(concurrency);
        this.readTimeout = Duration.ofMillis(readTimeoutMs);
        this.pollMs = pollMs;
        // Idle connections close after the read timeout and 5 s more; the guard is read at each lookup,
        // so that withOutbound may come after the client started.
        this.client = OutboundClients.start("push-http", connectTimeoutMs, readTimeoutMs + 5_000L, concurrency,
                () -> outbound);
    }

    /** Which destinations pushes may reach; by default public addresses only. */
    public HttpPushDispatcher withOutbound(OutboundGuard guard) {
        this.outbound = guard;
        return this;
    }

    /**
     * The endpoints' circuit breakers: runs of an endpoint whose circuit is open stay queued (not
     * taken, no attempt counted) until one half-open probe succeeds (README.md, "Endpoint health and circuit breakers").
     */
    /** A drover.push span around each push of a run that carries a traceparent (when tracing is on). */
    public HttpPushDispatcher withTracing(io.drover.telemetry.Tracing t) {
        this.tracing = t;
        return this;
    }

    public HttpPushDispatcher withHealth(EndpointHealth health) {
        this.health = health;
        return this;
    }

    /** The project secrets that job headers may name as {@code {{secrets.NAME}}}. */
    public HttpPushDispatcher withSecrets(io.drover.secrets.SecretStore store) {
        this.secrets = store;
        return this;
    }

    /** The job's extra headers with secret references filled in (values never logged). */
    private java.util.Map<String, String> headers(Run run, JobSpec spec) {
        if (spec.headers().isEmpty()) {
            return java.util.Map.of();
        }
        boolean refs = spec.headers().values().stream().anyMatch(io.drover.secrets.SecretTemplate::hasRefs);
        java.util.Map<String, String> values = refs && secrets != null
                ? secrets.open(run.projectId(), spec.secretsEnvironment()) : java.util.Map.of();
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        spec.headers().forEach((k, v) -> out.put(k, io.drover.secrets.SecretTemplate.render(v, values)));
        return out;
    }

    @Override
    public void runOnce() throws InterruptedException {
        while (isRunning()) {
            int free = slots.availablePermits();
            if (free == 0) {
                return; // a finishing request wakes us
            }
            // The lease covers the whole request plus margin; the reaper takes back a dead dispatcher's runs.
            long leaseMs = readTimeout.toMillis() + 30_000;
            List<String> held = null;
            EndpointHealth h = health;
            if (h != null) {
                Map<String, EndpointHealth.State> notClosed = h.notClosed();
                if (!notClosed.isEmpty()) {
                    Map<String, List<String>> versions = h.httpJobVersions(notClosed.keySet());
                    held = versions.values().stream().flatMap(List::stream).toList();
                    free -= probe(h, notClosed, versions, leaseMs);
                    if (free <= 0) {
                        return;
                    }
                }
            }
            List<Run> taken = runs.takePush(dispatcherId, Math.min(free, 100), leaseMs, held, null);
            for (Run run : taken) {
                send(run, leaseMs, false);
            }
            if (taken.size() < Math.min(free, 100)) {
                return;
            }
        }
    }

    /**
     * For each endpoint whose circuit may be probed now and that has runs waiting: claims the probe
     * (one caller across nodes) and sends one run as it; a claim with no run to send is released.
     * Answers how many runs it sent.
     */
    private int probe(EndpointHealth h, Map<String, EndpointHealth.State> notClosed,
            Map<String, List<String>> versions, long leaseMs) throws InterruptedException {
        int sent = 0;
        for (var e : notClosed.entrySet()) {
            List<String> only = versions.get(e.getKey());
            if (only == null || only.isEmpty() || !h.probeDue(e.getValue()) || !h.allow(e.getKey())) {
                continue;
            }
            List<Run> probe = runs.takePush(dispatcherId, 1, leaseMs, null, only);
            if (probe.isEmpty()) {
                h.releaseProbe(e.getKey());
                continue;
            }
            log.info("endpoint {}: run {} is the half-open probe", e.getKey(), probe.get(0).id());
            send(probe.get(0), leaseMs, true);
            sent++;
        }
        return sent;
    }

    private void send(Run run, long leaseMs, boolean probe) throws InterruptedException {
        slots.acquire();
        executor.execute(() -> {
            // the run's id and job in every log line of its push (JSON logs show the MDC)
            org.slf4j.MDC.put(io.drover.http.HttpApi.MDC_RUN, run.id().toString());
            org.slf4j.MDC.put(io.drover.http.HttpApi.MDC_JOB, run.jobSlug());
            try {
                push(run, leaseMs, probe);
            } catch (RuntimeException e) {
                log.error("push of run {} failed unexpectedly", run.id(), e);
            } finally {
                org.slf4j.MDC.remove(io.drover.http.HttpApi.MDC_RUN);
                org.slf4j.MDC.remove(io.drover.http.HttpApi.MDC_JOB);
                slots.release();
                wake();
            }
        });
    }

    @Override
    protected long nextWaitMs() {
        return pollMs;
    }

    private void push(Run dequeued, long leaseMs, boolean probe) {
        JobSpec spec;
        String secret;
        java.util.Map<String, String> extraHeaders;
        try {
            spec = jobs.spec(dequeued.jobId(), dequeued.jobVersion());
            secret = jobs.signingSecret(dequeued.jobId());
            if (secret == null) {
                throw new IllegalStateException("the job has no signing secret");
            }
            URI.create(spec.endpointUrl());
            extraHeaders = headers(dequeued, spec);
        } catch (RuntimeException e) {
            // Nothing was sent: the run cannot be pushed at all (dequeued -> system_failed).
            systemFail(dequeued, "cannot prepare the request: " + e.getMessage());
            return;
        }
        String endpoint = Endpoint.of(spec.endpointUrl());
        EndpointHealth breakers = health;
        if (!probe && breakers != null && endpoint != null && !breakers.allow(endpoint)) {
            // The circuit opened after the run was taken: back to queued, the attempt not counted.
            undequeue(dequeued);
            return;
        }
        Run run;
        try {
            run = runs.change(dequeued.projectId(), dequeued.id(), (c, locked) -> {
                if (locked.run().status() != RunStatus.DEQUEUED || !dispatcherId.equals(locked.run().workerId())) {
                    throw new io.drover.errors.Conflict("not_held", "no longer ours", java.util.Map.of());
                }
                return Transitions.pushStarted(locked.run(), locked.now().plusMillis(leaseMs), locked.now());
            });
        } catch (io.drover.errors.DomainException e) {
            return; // canceled (or taken back) between dequeue and send
        }
        // A retried run carries the latest checkpoint of its earlier attempts (a first attempt has none).
        byte[] body = body(run, run.attempt() > 1 ? runs.claimContext(run.id()).orElse(null) : null);
        // the run's trace goes on at the endpoint: under a drover.push span when tracing is on, else as given
        io.drover.telemetry.Tracing.Open span = tracing.on()
                ? tracing.open("drover.push", run.traceparent(), run.id(), run.jobSlug()) : null;
        String traceparent = span != null ? span.traceparent() : run.traceparent();
        long t = Instant.now().getEpochSecond();
        String signature = "t=" + t + ",v1=" + sign(secret, t, body);
        Request request;
        try {
            request = client.newRequest(URI.create(spec.endpointUrl()))
                    .method(HttpMethod.POST)
                    .timeout(run.timeoutSecs() == null ? readTimeout.toMillis()
                            : Math.min(run.timeoutSecs(), readTimeout.toSeconds() + 1) * 1000L, TimeUnit.MILLISECONDS)
                    .headers(h -> {
                        extraHeaders.forEach(h::put);
                        h.put("User-Agent", "drover-push/1");
                        h.put("X-Drover-Run-Id", run.id().toString());
                        h.put("X-Drover-Attempt", Integer.toString(run.attempt()));
                        h.put("X-Drover-Signature", signature);
                        if (traceparent != null) {
                            h.put("traceparent", traceparent);
                        }
                    })
                    .body(new BytesRequestContent("application/json", body));
        } catch (IllegalArgumentException e) {
            systemFail(run, "endpoint_url cannot be used: " + e.getMessage());
            return;
        }
        ContentResponse response;
        long sentAt = System.nanoTime();
        try {
            response = new CompletableResponseListener(request, MAX_RESPONSE_BYTES).send().get();
        } catch (InterruptedException e) {
            // Shutdown cut the request short: give the run back so another node sends it at once
            // (the attempt is not counted), instead of leaving it to expire as a crash.
            if (span != null) {
                span.end(null, "interrupted");
            }
            request.abort(e);
            giveBack(run);
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (span != null) {
                span.end(null, cause.toString());
            }
            record(endpoint, outcomeOf(cause), sentAt);
            failed(run, cause);
            return;
        }
        int status = response.getStatus();
        if (span != null) {
            span.end(status, status >= 200 && status < 300 ? null : "answered " + status);
        }
        // 408, 429 and 5xx say the endpoint is in trouble; any other answer says it is up and answering.
        record(endpoint, status == 408 || status == 429 || status >= 500 ? EndpointHealth.Outcome.FAILURE
                : EndpointHealth.Outcome.SUCCESS, sentAt);
        byte[] content = response.getContent();
        if (status >= 200 && status < 300) {
            report(run, resultOf(content), null, false);
        } else {
            log.debug("push of run {} (attempt {}) answered {}", run.id(), run.attempt(), status);
            boolean retryable = status == 408 || status == 429 || status >= 500;
            // U+0000 cannot be stored in jsonb: without this the report failed and the run sat
            // executing until its lease ran out, then was retried as a crash
            String text = new String(content, 0, Math.min(content.length, MAX_ERROR_BODY),
                    StandardCharsets.UTF_8).replace('\0', '\uFFFD');
            report(run, null, Json.write(Json.object().put("type", "http_status")
                    .put("message", "endpoint answered " + status).put("status", status).put("body", text)),
                    retryable);
        }
    }

    /** What a request that got no answer says about its endpoint; null: nothing (it was not sent, or it was answered). */
    private static EndpointHealth.Outcome outcomeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutboundRefusedException) {
                return null;
            }
        }
        if (e instanceof TimeoutException || e instanceof java.net.SocketTimeoutException) {
            return EndpointHealth.Outcome.TIMEOUT;
        }
        if (e instanceof IllegalArgumentException) {
            return null; // an oversized answer (the endpoint answered) or a request never sent
        }
        return EndpointHealth.Outcome.FAILURE;
    }

    private void record(String endpoint, EndpointHealth.Outcome outcome, long sentAtNanos) {
        EndpointHealth h = health;
        if (h == null || endpoint == null || outcome == null) {
            return;
        }
        try {
            h.record(endpoint, outcome, (System.nanoTime() - sentAtNanos) / 1_000_000);
        } catch (RuntimeException e) {
            log.warn("could not record the outcome of a push to {}: {}", endpoint, e.toString());
        }
    }

    /** A dequeued run given back before anything was sent; its attempt is not counted. */
    private void undequeue(Run run) {
        try {
            runs.change(run.projectId(), run.id(), (c, locked) -> {
                if (locked.run().status() != RunStatus.DEQUEUED || !dispatcherId.equals(locked.run().workerId())) {
                    throw new io.drover.errors.Conflict("not_held", "no longer ours", java.util.Map.of());
                }
                return Transitions.undequeue(locked.run());
            });
        } catch (RuntimeException e) {
            log.info("run {} not given back ({}); the reaper will take it back", run.id(), e.getMessage());
        }
    }

    /** An attempt that got no answer: refused destination, time-out, connection error, oversized answer. */
    private void failed(Run run, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutboundRefusedException refused) {
                // Nothing was sent. A DNS answer can change (retry); a literal address or an internal
                // name in the URL cannot, short of editing the job or DROVER_OUTBOUND_ALLOW.
                report(run, null, Json.write(Json.object().put("type", "outbound_refused")
                        .put("message", refused.getMessage())), refused.fromDns());
                return;
            }
        }
        if (e instanceof TimeoutException || e instanceof java.net.SocketTimeoutException) {
            report(run, null, Json.write(Json.object().put("type", "http_timeout")
                    .put("message", "no answer within the timeout: " + e.getMessage())), true);
        } else if (e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).contains("capacity")) {
            // The endpoint answered, so it did the work: sending again would do it twice.
            report(run, null, Json.write(Json.object().put("type", "http_response_too_large")
                    .put("message", "the answer is larger than " + MAX_RESPONSE_BYTES + " bytes")), false);
        } else if (e instanceof IllegalArgumentException) {
            // The client refused the request before sending it (e.g. a port out of range): no endpoint
            // was reached, so this is not the endpoint's failure, and retrying cannot help.
            systemFail(run, "endpoint_url cannot be used: " + e.getMessage());
        } else {
            report(run, null, Json.write(Json.object().put("type", "http_connection")
                    .put("message", e.getClass().getSimpleName() + ": " + e.getMessage())), true);
        }
    }

    private void giveBack(Run run) {
        try {
            runs.change(run.projectId(), run.id(), (c, locked) -> {
                if (locked.run().status() != RunStatus.EXECUTING || !dispatcherId.equals(locked.run().workerId())) {
                    throw new io.drover.errors.Conflict("not_held", "no longer ours", java.util.Map.of());
                }
                return Transitions.release(locked.run());
            });
        } catch (RuntimeException e) {
            log.info("run {} not given back ({}); the reaper will take it back", run.id(), e.getMessage());
        }
    }

    private void report(Run run, String result, String error, boolean retryable) {
        var reported = runs.report(run.projectId(), dispatcherId,
                List.of(new RunStore.Report(run.id(), result, error, retryable, run.attempt()))).get(0);
        if (!reported.ok() && error == null && "output_invalid".equals(reported.error().code())) {
            // The endpoint's answer does not match the job's output_schema: a failed attempt (retried
            // as any other), with the path in its error.
            report(run, null, Json.write(Json.object().put("type", "output_invalid")
                    .put("message", reported.error().getMessage())), true);
            return;
        }
        if (!reported.ok()) {
            log.info("push result for run {} dropped: {}", run.id(), reported.error().getMessage());
        }
    }

    private void systemFail(Run run, String message) {
        try {
            runs.change(run.projectId(), run.id(), (c, locked) -> {
                if (!dispatcherId.equals(locked.run().workerId()) || locked.run().attempt() != run.attempt()) {
                    throw new io.drover.errors.Conflict("not_held", "no longer ours", java.util.Map.of());
                }
                return Transitions.systemFail(locked.run(), message, locked.now());
            });
        } catch (RuntimeException e) {
            log.warn("could not mark run {} system_failed: {}", run.id(), e.toString());
        }
    }

    private static String resultOf(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        try {
            var tree = Json.MAPPER.readTree(body);
            // JSON holding U+0000 cannot be stored as the result: complete without one, as for a
            // body that is not JSON, rather than fail the report and retry work the endpoint did
            return tree == null || Json.unstorablePath(tree, "") != null ? null : Json.write(tree);
        } catch (java.io.IOException | NumberFormatException e) {
            return null; // not JSON (or a number no BigDecimal holds): the run completes without a result
        }
    }

    static byte[] body(Run run) {
        return body(run, null);
    }

    /**
     * The request body; {@code worker_id} is the holder's id, with which the endpoint may save
     * checkpoints and record tool calls while it works, and {@code checkpoint} the latest saved
     * by an earlier attempt (only when there is one).
     */
    static byte[] body(Run run, RunStore.ClaimContext context) {
        var n = Json.object();
        n.put("run_id", run.id().toString());
        n.put("job_id", run.jobId().toString());
        n.put("job_slug", run.jobSlug());
        n.put("attempt", run.attempt());
        n.put("worker_id", run.workerId());
        n.putRawValue("payload", new com.fasterxml.jackson.databind.util.RawValue(run.payload() == null ? "null" : run.payload()));
        n.putRawValue("metadata", new com.fasterxml.jackson.databind.util.RawValue(run.metadata()));
        if (context != null && context.checkpoint() != null) {
            n.set("checkpoint", context.checkpoint().toJson());
        }
        return Json.bytes(n);
    }

    /** Hex HMAC-SHA256 of {@code "<t>.<body>"} under the job's signing secret. */
    public static String sign(String secret, long t, byte[] body) {
        byte[] prefix = (t + ".").getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, data, 0, prefix.length);
        System.arraycopy(body, 0, data, prefix.length, body.length);
        return HexFormat.of().formatHex(io.drover.crypto.Keys.hmac(secret.getBytes(StandardCharsets.UTF_8), data));
    }

    /** Stops taking runs, waits for requests in flight, and gives back runs taken but not sent. */
    public void shutdown(Duration grace) {
        stop();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            client.stop();
        } catch (Exception e) {
            log.warn("push HTTP client did not stop cleanly: {}", e.toString());
        }
    }

    public int concurrency() {
        return concurrency;
    }
}
