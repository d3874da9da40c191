package io.drover.client;

import static io.drover.client.Paths.query;
import static io.drover.client.Paths.seg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A typed client of the Drover HTTP API, safe to share between threads. Every call throws
 * {@link DroverApiException} when the server answers with an error status and
 * {@link DroverTransportException} when no answer came. Create one with {@link #builder()} or
 * {@link #fromEnv()}; {@link #send(String, String, Object)} reaches endpoints that have no typed method.
 */
public final class DroverClient implements AutoCloseable {

    private final HttpClient http;
    private final ObjectMapper mapper;
    private final ObjectMapper payloadMapper;
    private final HttpApi api;
    private final PlainHttp plain;
    private final String baseUrl;

    private DroverClient(Builder builder) {
        this.baseUrl = builder.baseUrl.replaceAll("/+$", "");
        this.mapper = DroverJson.newMapper();
        this.payloadMapper = builder.payloadMapper != null ? builder.payloadMapper : mapper;
        // http:// goes over PlainHttp (blocking HTTP/1.1 on the caller's thread); https:// and anything
        // else over the JDK client, which does TLS. Only the one in use is made: the JDK client starts
        // a selector thread of its own.
        this.plain = PlainHttp.forBase(baseUrl, builder.connectTimeout, HttpApi.USER_AGENT, builder.apiKey);
        this.http = plain != null ? null : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .build();
        this.api = new HttpApi(http, plain, mapper, baseUrl, builder.apiKey, builder.requestTimeout);
    }

    /** @return a builder with the defaults: http://localhost:7070, 5 s to connect, 30 s per request */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a client for {@code DROVER_URL} (default http://localhost:7070) and {@code DROVER_API_KEY} */
    public static DroverClient fromEnv() {
        return fromEnv(System.getenv());
    }

    /** @return a client for the {@code DROVER_URL} and {@code DROVER_API_KEY} entries of {@code env} */
    public static DroverClient fromEnv(Map<String, String> env) {
        String url = env.getOrDefault("DROVER_URL", "");
        return builder().baseUrl(url.isBlank() ? Builder.DEFAULT_URL : url).apiKey(env.get("DROVER_API_KEY")).build();
    }

    /** @return the base URL, without a trailing slash */
    public String baseUrl() {
        return baseUrl;
    }

    /** @return the mapper this client reads and writes JSON with */
    public ObjectMapper mapper() {
        return mapper;
    }

    /**
     * @return the mapper that maps payloads, results and workflow inputs and outputs to and from
     *     Java types: the one given to {@link Builder#payloadMapper}, else {@link #mapper()}
     */
    public ObjectMapper payloadMapper() {
        return payloadMapper;
    }

    /**
     * Maps a JSON value (a run's result, a workflow run's output) to a Java type with
     * {@link #payloadMapper()}; null stays null.
     *
     * @throws DroverException when the value does not fit the type
     */
    public <T> T convert(JsonNode value, Class<T> type) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        try {
            return payloadMapper.treeToValue(value, type);
        } catch (Exception e) {
            throw new DroverException("cannot map " + value.getNodeType() + " to " + type.getName() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Sends any request. The body may be null, a JsonNode, a Map or a record (written in
     * snake_case); the path is relative to the base URL and may carry a query string.
     *
     * @return the parsed JSON answer, a NullNode for an empty one, or a TextNode for a non-JSON one
     */
    public JsonNode send(String method, String path, Object body) {
        return api.send(method, path, body, api.requestTimeout());
    }

    // ---- Jobs

    /** Creates a job from a {@link JobSpec}, a Map or a JsonNode. */
    public Job createJob(Object spec) {
        return api.read(send("POST", "/v1/jobs", Objects.requireNonNull(spec, "spec")), Job.class);
    }

    /** Gets a job by id or slug. */
    public Job getJob(String idOrSlug) {
        return api.read(send("GET", "/v1/jobs/" + seg(idOrSlug), null), Job.class);
    }

    /** Lists jobs; a null cursor starts at the beginning and a null limit uses the server's default. */
    public Page<Job> listJobs(String cursor, Integer limit) {
        return api.readPage(send("GET", "/v1/jobs" + query("cursor", cursor, "limit", limit), null), Job.class);
    }

    /** Changes a job with a partial {@link JobSpec}, Map or JsonNode, creating a new version. */
    public Job updateJob(String idOrSlug, Object patch) {
        return api.read(send("PATCH", "/v1/jobs/" + seg(idOrSlug), Objects.requireNonNull(patch, "patch")), Job.class);
    }

    /**
     * Creates the job unless one with its slug exists; an existing job is left as it is.
     *
     * @return the job as the server has it now
     */
    public Job createJobIfAbsent(JobSpec spec) {
        Objects.requireNonNull(spec, "spec");
        try {
            return getJob(spec.slug());
        } catch (DroverApiException e) {
            if (e.httpStatus() != 404) {
                throw e;
            }
        }
        try {
            return createJob(spec);
        } catch (DroverApiException e) {
            if (e.httpStatus() != 409) {
                throw e;
            }
            return getJob(spec.slug()); // created meanwhile by another process
        }
    }

    /**
     * Creates the job, or updates it when a field the spec sets differs from the server's (fields
     * the spec leaves null are not compared, so values set elsewhere stay). An unchanged job gets no
     * new version, so calling this at every start-up of every replica is cheap and safe.
     *
     * @return the job as the server has it now
     */
    public Job applyJob(JobSpec spec) {
        Job current = createJobIfAbsent(spec);
        JsonNode wanted = mapper.valueToTree(spec);
        JsonNode have = mapper.valueToTree(current);
        if (Paths.covers(have, wanted)) {
            return current;
        }
        return updateJob(spec.slug(), spec);
    }

    /** Deletes a job. */
    public void deleteJob(String idOrSlug) {
        send("DELETE", "/v1/jobs/" + seg(idOrSlug), null);
    }

    // ---- Runs

    /** Triggers one run of a job; a repeated idempotency key returns the first run. */
    public Run trigger(String jobIdOrSlug, TriggerRequest request) {
        TriggerRequest body = request == null ? TriggerRequest.of(null) : request;
        if (payloadMapper != mapper && body.payload() != null && !(body.payload() instanceof JsonNode)) {
            body = new TriggerRequest(payloadMapper.valueToTree(body.payload()), body.metadata(),
                    body.idempotencyKey(), body.delayMs(), body.scheduledAt(), body.priority(), body.concurrencyKey());
        }
        return api.read(send("POST", "/v1/jobs/" + seg(jobIdOrSlug) + "/trigger", body), Run.class);
    }

    /**
     * Waits until a run is over: terminal (completed, failed, canceled...) or dead-lettered. Polls
     * the run, every 50 ms at first and up to every second.
     *
     * @return the run as it ended
     * @throws DroverException when it is not over within {@code timeout}, or the wait is interrupted
     */
    public Run awaitRun(String runId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 50;
        while (true) {
            Run run = getRun(runId);
            if (run.status() != null && (run.status().isTerminal() || run.status() == RunStatus.DEAD_LETTER)) {
                return run;
            }
            pause = pauseUntil(deadline, pause, "run " + runId + " still " + run.status().wireName());
        }
    }

    /**
     * Triggers a run, waits for it to end, and maps its result to {@code resultType}.
     *
     * @throws DroverException when the run did not complete (its error is in the message) or not in time
     */
    public <T> T triggerAndAwait(String jobIdOrSlug, TriggerRequest request, Class<T> resultType, Duration timeout) {
        Run run = awaitRun(trigger(jobIdOrSlug, request).id(), timeout);
        if (run.status() != RunStatus.COMPLETED) {
            throw new DroverException("run " + run.id() + " ended " + run.status().wireName()
                    + (run.error() == null ? "" : ": " + run.error().type() + ": " + run.error().message()), null);
        }
        return convert(run.result(), resultType);
    }

    /** Sleeps before the next poll; throws once the deadline passed. */
    static long pauseUntil(long deadlineNanos, long pauseMs, String what) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new DroverException("timed out waiting: " + what, null);
        }
        try {
            Thread.sleep(Math.min(pauseMs, Math.max(1, left / 1_000_000)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DroverException("interrupted while waiting: " + what, e);
        }
        return Math.min(1000, pauseMs * 2);
    }

    /** @return the client of workflows and their runs */
    public Workflows workflows() {
        return new Workflows(this, api);
    }

    /** Triggers up to 1000 runs of a job in one transaction, returning them in order. */
    public List<Run> triggerBatch(String jobIdOrSlug, List<TriggerRequest> requests) {
        return api.sendForList("POST", "/v1/jobs/" + seg(jobIdOrSlug) + "/trigger/batch", Map.of("runs", requests),
                api.requestTimeout(), "data", Run.class);
    }

    /**
     * Triggers up to 1000 runs of a job in one transaction like {@link #triggerBatch}, but asks the
     * server for the run ids only ({@code "answer": "ids"}), in the order of the requests: the
     * cheaper call for producers that trigger many runs and do not read them back. A repeated
     * idempotency key names the first run, as in {@code triggerBatch}.
     */
    public List<String> triggerBatchIds(String jobIdOrSlug, List<TriggerRequest> requests) {
        return api.sendForList("POST", "/v1/jobs/" + seg(jobIdOrSlug) + "/trigger/batch",
                Map.of("runs", requests, "answer", "ids"), api.requestTimeout(), "data", String.class);
    }

    /** Gets a run by id. */
    public Run getRun(String runId) {
        return api.read(send("GET", "/v1/runs/" + seg(runId), null), Run.class);
    }

    /** Lists runs matching a filter, newest first as the server orders them. */
    public Page<Run> listRuns(RunFilter filter) {
        RunFilter f = filter == null ? RunFilter.all() : filter;
        String q = query("job", f.job(), "status", f.status(), "limit", f.limit(), "cursor", f.cursor());
        return api.readPage(send("GET", "/v1/runs" + q, null), Run.class);
    }

    /** Returns every recorded state change of a run, in order, following pages as needed. */
    public List<RunEvent> runEvents(String runId) {
        List<RunEvent> events = new ArrayList<>();
        String cursor = null;
        do {
            Page<RunEvent> page = api.readPage(send("GET", "/v1/runs/" + seg(runId) + "/events"
                    + query("cursor", cursor), null), RunEvent.class);
            events.addAll(page.data());
            cursor = page.nextCursor();
        } while (cursor != null);
        return events;
    }

    /** Cancels a run; the server answers 409 when it is already terminal. */
    public Run cancelRun(String runId) {
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/cancel", Map.of()), Run.class);
    }

    /** Replays a dead-lettered run, or creates a new run from a terminal one. */
    public Run replayRun(String runId) {
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/replay", Map.of()), Run.class);
    }

    // ---- Worker protocol

    /** Claims due runs, long-polling up to {@code waitMs}; the request timeout is stretched to match. */
    public List<Run> claim(ClaimRequest request) {
        Duration timeout = api.requestTimeout().plusMillis(request.waitMs());
        return api.sendForList("POST", "/v1/worker/claim", request, timeout, "data", Run.class);
    }

    /** Extends the lease of one run; the server answers 409 when the run is no longer this worker's. */
    public Instant heartbeat(String runId, String workerId, long leaseMs) {
        JsonNode answer = send("POST", "/v1/runs/" + seg(runId) + "/heartbeat",
                Map.of("worker_id", workerId, "lease_ms", leaseMs));
        return api.read(answer.path("lease_expires_at"), Instant.class);
    }

    /** Extends the leases of many runs in one call, answering per run whether it is still this worker's. */
    public List<HeartbeatResult> heartbeatBatch(String workerId, List<String> runIds, long leaseMs) {
        return api.sendForList("POST", "/v1/worker/heartbeat",
                Map.of("worker_id", workerId, "run_ids", runIds, "lease_ms", leaseMs), api.requestTimeout(), "data",
                HeartbeatResult.class);
    }

    /**
     * Tells, per run, whether this worker still holds it and its status now, without extending
     * any lease ({@code POST /v1/worker/runs}); the worker's poll for cancellations.
     */
    public List<HeldRun> heldRuns(String workerId, List<String> runIds) {
        return api.sendForList("POST", "/v1/worker/runs", Map.of("worker_id", workerId, "run_ids", runIds),
                api.requestTimeout(), "data", HeldRun.class);
    }

    /** Completes a run with a result (any value Jackson can write, or null). */
    public Run complete(String runId, String workerId, Object result) {
        Map<String, Object> body = new HashMap<>();
        body.put("worker_id", workerId);
        body.put("result", result);
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/complete", body), Run.class);
    }

    /** Fails the current attempt of a run, returning the run as it now is (delayed, failed or dead_letter). */
    public Run fail(String runId, String workerId, ErrorInfo error, boolean retryable) {
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/fail",
                Map.of("worker_id", workerId, "error", error, "retryable", retryable)), Run.class);
    }

    /** Reports many outcomes in one call, answering per run whether each was recorded. */
    public List<OutcomeResult> completeBatch(String workerId, List<Outcome> outcomes) {
        return api.sendForList("POST", "/v1/worker/complete", Map.of("worker_id", workerId, "results", outcomes),
                api.requestTimeout(), "data", OutcomeResult.class);
    }

    /**
     * Lets go of a held run until its children settle ({@code POST /v1/runs/{id}/wait} with
     * {@code children: true}); answers the run, waiting, or queued again when no child was open.
     */
    public Run waitForChildren(String runId, String workerId) {
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/wait",
                Map.of("worker_id", workerId, "children", true)), Run.class);
    }

    /**
     * Completes a held run and creates its continuation in one transaction ({@code POST
     * /v1/runs/{id}/continue}); answers the continuation.
     *
     * @param delayMs how long the continuation waits before it is due, or null
     */
    public Run continueRun(String runId, String workerId, Object payload, Long delayMs) {
        Map<String, Object> body = new HashMap<>();
        body.put("worker_id", workerId);
        body.put("payload", payload);
        if (delayMs != null) {
            body.put("delay_ms", delayMs);
        }
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/continue", body), Run.class);
    }

    /** Lists a run's children, newest first ({@code GET /v1/runs?parent=}). */
    public Page<Run> listChildren(String parentRunId, String cursor, Integer limit) {
        String q = query("parent", parentRunId, "limit", limit, "cursor", cursor);
        return api.readPage(send("GET", "/v1/runs" + q, null), Run.class);
    }

    /**
     * Saves a checkpoint of a run this worker holds ({@code POST /v1/runs/{id}/checkpoints}); a
     * later attempt's claim carries the latest as {@link Run#checkpoint()}.
     *
     * @return the saved checkpoint: {@code seq}, {@code attempt}, {@code state}, {@code created_at}
     */
    public JsonNode checkpoint(String runId, String workerId, Object state) {
        Map<String, Object> body = new HashMap<>();
        body.put("worker_id", workerId);
        body.put("state", state);
        return send("POST", "/v1/runs/" + seg(runId) + "/checkpoints", body);
    }

    /**
     * Records a tool call of a run this worker holds ({@code POST /v1/runs/{id}/tool-calls}).
     *
     * @param runId the run
     * @param workerId this worker
     * @param name the tool's name
     * @param input what the tool was given (any value Jackson can write, or null)
     * @param output what it answered, or null
     * @param error why it failed, or null
     * @param durationMs how long the call took, or null
     * @return the recorded call, with its {@code id}
     */
    public JsonNode recordToolCall(String runId, String workerId, String name, Object input, Object output,
            Object error, Long durationMs) {
        Map<String, Object> body = new HashMap<>();
        body.put("worker_id", workerId);
        body.put("name", name);
        body.put("input", input);
        body.put("output", output);
        body.put("error", error);
        body.put("duration_ms", durationMs);
        return send("POST", "/v1/runs/" + seg(runId) + "/tool-calls", body);
    }

    /** A page of a run's tool calls, oldest first; a null cursor starts at the first. */
    public Page<JsonNode> listToolCalls(String runId, String cursor, Integer limit) {
        return api.readPage(send("GET", "/v1/runs/" + seg(runId) + "/tool-calls" + query("cursor", cursor, "limit",
                limit), null), JsonNode.class);
    }

    /**
     * Lets go of a run this worker holds until an event with {@code eventKey} is sent, or
     * {@code timeoutMs} passes ({@code POST /v1/runs/{id}/wait}); the run is then queued again and
     * its next claim carries {@link Run#event()}. When the event was sent before, the answer carries
     * it as {@code event} at once and the run stays this worker's.
     *
     * @return the run as JSON, with {@code event} when the event was already there
     */
    public JsonNode waitForEvent(String runId, String workerId, String eventKey, long timeoutMs) {
        return send("POST", "/v1/runs/" + seg(runId) + "/wait",
                Map.of("worker_id", workerId, "event_key", eventKey, "timeout_ms", timeoutMs));
    }

    /**
     * Records a run's AI usage ({@code POST /v1/runs/{id}/usage}); with a worker id, only the worker
     * holding the run may (409 otherwise), without one the key's operator role suffices.
     */
    public UsageRecorded recordUsage(String runId, String workerId, Usage usage) {
        Map<String, Object> body = new HashMap<>();
        if (workerId != null) {
            body.put("worker_id", workerId);
        }
        body.put("provider", usage.provider());
        body.put("model", usage.model());
        body.put("input_tokens", usage.inputTokens());
        body.put("output_tokens", usage.outputTokens());
        body.put("cached_input_tokens", usage.cachedInputTokens());
        if (usage.costMicrousd() != null) {
            body.put("cost_microusd", usage.costMicrousd());
        }
        JsonNode a = send("POST", "/v1/runs/" + seg(runId) + "/usage", body);
        return new UsageRecorded(a.path("id").asText(), a.path("cost_microusd").asLong(),
                a.path("run_cost_microusd").asLong(), a.path("run_canceled").asBoolean(false));
    }

    /** Gives a claimed run back to the queue without counting the attempt. */
    public Run release(String runId, String workerId) {
        return api.read(send("POST", "/v1/runs/" + seg(runId) + "/release", Map.of("worker_id", workerId)), Run.class);
    }

    /** Stops accepting new requests; requests already sent run to completion. */
    @Override
    public void close() {
        if (plain != null) {
            plain.close();
        }
        if (http != null) {
            shutdown(http);
        }
    }

    /**
     * {@code HttpClient.shutdown()} where the JVM has it (21+). Before 21 the JDK client has no way
     * to be closed: its threads end once nothing refers to it.
     */
    private static void shutdown(HttpClient http) {
        try {
            HttpClient.class.getMethod("shutdown").invoke(http);
        } catch (NoSuchMethodException e) {
            // Java 17-20.
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not shut the HTTP client down", e);
        }
    }

    /** Collects the settings of a {@link DroverClient}. */
    public static final class Builder {
        static final String DEFAULT_URL = "http://localhost:7070";

        private String baseUrl = DEFAULT_URL;
        private String apiKey;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private ObjectMapper payloadMapper;

        private Builder() {
        }

        /** Sets the server URL, such as {@code http://localhost:7070}. */
        public Builder baseUrl(String value) {
            baseUrl = Objects.requireNonNull(value, "baseUrl");
            return this;
        }

        /** Sets the API key sent as a bearer token; null sends none. */
        public Builder apiKey(String value) {
            apiKey = value;
            return this;
        }

        /** Sets how long to wait for a connection. */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Objects.requireNonNull(value, "connectTimeout");
            return this;
        }

        /** Sets how long to wait for an answer; a claim adds its long-poll wait on top. */
        public Builder requestTimeout(Duration value) {
            requestTimeout = Objects.requireNonNull(value, "requestTimeout");
            return this;
        }

        /**
         * Sets your own mapper for payloads, results and workflow inputs and outputs (typed
         * handlers, {@link RunContext#payloadAs}, {@link DroverClient#convert}); the API's own
         * fields are still read and written with Drover's mapper (snake_case). Default: Drover's.
         */
        public Builder payloadMapper(ObjectMapper value) {
            payloadMapper = value;
            return this;
        }

        /** @return the client */
        public DroverClient build() {
            if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
                throw new IllegalArgumentException("baseUrl must start with http:// or https://, got: " + baseUrl);
            }
            return new DroverClient(this);
        }
    }
}
