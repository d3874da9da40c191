package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a handler knows about the run it executes. {@link #isCanceled()} turns true when the run
 * stops being this worker's (canceled by a user, reaped after a lost lease, or abandoned at
 * shutdown); a long handler should check it and return early, since its result will be dropped.
 * The handler's thread is also interrupted then, so that a handler blocked in a sleep, a queue, an
 * interruptible channel or an HTTP call wakes at once (a canceled run is seen within about the
 * worker's {@code cancelPollInterval}, 1 s by default).
 */
public final class RunContext {

    private static final int EXECUTING = 0;
    private static final int FINISHED = 1;
    private static final int ABANDONED = 2;

    private final Run run;
    private final String workerId;
    private final ObjectMapper mapper;
    private final DroverClient client;
    /** The latest state this attempt saved, else the claim's checkpoint (null when neither). */
    private volatile JsonNode lastState;
    private final AtomicBoolean canceled = new AtomicBoolean();
    private final AtomicInteger state = new AtomicInteger(EXECUTING);
    private volatile Thread thread;
    /** Guarded by {@link InFlight}'s lock: this run's outcome counts as pending there. */
    boolean pendingCounted;
    /** What the handler asked for instead of a result ({@link #waitForChildren}, {@link #continueWith}). */
    private volatile Suspension suspension;

    /** How a handler ends its attempt without a result. */
    record Suspension(boolean children, Object payload, Long delayMs) {}

    RunContext(Run run, String workerId, ObjectMapper mapper) {
        this(run, workerId, mapper, null);
    }

    RunContext(Run run, String workerId, DroverClient client) {
        // Payloads, checkpoints and children map to the application's types with its own mapper.
        this(run, workerId, client.payloadMapper(), client);
    }

    private RunContext(Run run, String workerId, ObjectMapper mapper, DroverClient client) {
        this.run = run;
        this.workerId = workerId;
        this.mapper = mapper;
        this.client = client;
        JsonNode cp = run.checkpoint();
        this.lastState = cp == null || cp.isNull() ? null : cp.get("state");
    }

    // ---- Child runs and continuations

    /**
     * Triggers a run of another (or the same) job as a child of this run. A parent may then wait
     * for its children without holding a worker slot ({@link #waitForChildren()}).
     *
     * @param jobSlug the child's job
     * @param payload the child's payload (any value Jackson can write), or null
     * @return the child run
     */
    public Run trigger(String jobSlug, Object payload) {
        return trigger(jobSlug, TriggerRequest.of(payload));
    }

    /**
     * Triggers a child run with the given request (idempotency key, delay, ...); its parent is this run.
     *
     * @param jobSlug the child's job
     * @param request the trigger body
     * @return the child run
     */
    public Run trigger(String jobSlug, TriggerRequest request) {
        if (client == null) {
            throw new IllegalStateException("this RunContext has no client");
        }
        TriggerRequest req = request == null ? TriggerRequest.of(null) : request;
        return client.trigger(jobSlug, req.withParentRunId(runId()));
    }

    /**
     * Ends this attempt without a result: the worker lets go of the run, which waits (no worker
     * slot, no lease) until every child settles, then goes back to its queue. The handler that
     * claims it next sees the children's outcomes in {@link #children()}. Does not return: it
     * throws {@link RunSuspended}, which the worker handles.
     *
     * @throws RunSuspended always
     */
    public void waitForChildren() {
        suspension = new Suspension(true, null, null);
        throw new RunSuspended("run " + runId() + " waits for its children");
    }

    /**
     * Ends this attempt by completing the run with a continuation: the next run of the same job,
     * with {@code payload}, one deeper in the lineage (the server refuses it beyond
     * {@code DROVER_MAX_LINEAGE_DEPTH}, and the attempt then fails without retry). Does not return.
     *
     * @param payload the continuation's payload, or null
     * @throws RunSuspended always
     */
    public void continueWith(Object payload) {
        continueWith(payload, null);
    }

    /**
     * As {@link #continueWith(Object)}, the continuation due after {@code delay}.
     *
     * @param payload the continuation's payload, or null
     * @param delay how long the continuation waits before it is due, or null for none
     * @throws RunSuspended always
     */
    public void continueWith(Object payload, java.time.Duration delay) {
        suspension = new Suspension(false, payload, delay == null ? null : delay.toMillis());
        throw new RunSuspended("run " + runId() + " continues");
    }

    /**
     * The children of this run and how they settled, when the run was queued again after waiting
     * for them ({@link #waitForChildren()}); empty otherwise.
     *
     * @return the settled children, oldest first
     */
    public java.util.List<ChildRun> children() {
        JsonNode children = run.children();
        if (children == null || !children.isArray()) {
            return java.util.List.of();
        }
        java.util.List<ChildRun> out = new java.util.ArrayList<>(children.size());
        for (JsonNode c : children) {
            try {
                out.add(mapper.treeToValue(c, ChildRun.class));
            } catch (Exception e) {
                throw new DroverException("unreadable child in the claim of run " + runId() + ": " + e.getMessage(), e);
            }
        }
        return java.util.List.copyOf(out);
    }

    Suspension suspension() {
        return suspension;
    }

    /**
     * Saves {@code state} as this run's checkpoint: if this attempt ends without a result (a crash,
     * a lost lease, a retry), the next attempt's {@link #lastCheckpoint} answers with it, so the
     * handler can go on from there instead of starting over. The server keeps the latest ten.
     *
     * @param state any value Jackson can write (a record, a Map, a JsonNode), or null
     * @throws DroverApiException 409 {@code not_held} when the run is no longer this worker's
     */
    public void checkpoint(Object state) {
        JsonNode tree = state instanceof JsonNode n ? n : mapper.valueToTree(state);
        client().checkpoint(runId(), workerId, tree);
        lastState = tree == null ? NullNode.getInstance() : tree;
    }

    /**
     * The latest checkpoint's state: the one this attempt saved last, else the one an earlier
     * attempt saved (the claim carries it).
     *
     * @param type the type to map the state to, such as a record
     * @param <T> the type
     * @return the state, or empty when the run has no checkpoint
     */
    public <T> java.util.Optional<T> lastCheckpoint(Class<T> type) {
        JsonNode state = lastState;
        if (state == null) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.ofNullable(mapper.treeToValue(state, type));
        } catch (Exception e) {
            throw new NonRetryableException("checkpoint of run " + runId() + " does not map to " + type.getName()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records a call of an outside tool (an API, a model, a search) that this run made, listed in
     * order at {@code GET /v1/runs/{id}/tool-calls} and redacted for viewers as payloads are.
     *
     * @param name the tool's name
     * @param input what it was given, or null
     * @param output what it answered, or null
     * @param error why it failed (an {@link ErrorInfo}, a Throwable or any value), or null
     * @param duration how long it took, or null
     */
    public void recordToolCall(String name, Object input, Object output, Object error, java.time.Duration duration) {
        Object err = error instanceof Throwable t ? ErrorInfo.from(t) : error;
        client().recordToolCall(runId(), workerId, name, input, output, err,
                duration == null ? null : duration.toMillis());
    }

    /**
     * Waits for the event {@code key} without holding a worker slot. When the run has it already
     * (the event came before, or the run was resumed by it) this answers at once: the event's
     * payload, or empty when the wait timed out. Otherwise the worker lets go of the run and this
     * throws {@link WaitingForEventException}: let it propagate. The run comes back once the event
     * is sent (or {@code timeout} passes) and the handler runs again from the top, so work done
     * before the wait should be saved with {@link #checkpoint} and skipped when it is there.
     *
     * @param key the event key ({@code POST /v1/events/{key}/send})
     * @param timeout how long to wait (1 s to 30 days)
     * @return the event's payload (a NullNode for a null payload), or empty when the wait timed out
     * @throws WaitingForEventException when the run now waits (the worker lets go of it)
     */
    public java.util.Optional<JsonNode> waitForEvent(String key, java.time.Duration timeout) {
        JsonNode event = run.event();
        if (event != null && !event.isNull() && key.equals(event.path("key").asText(null))) {
            return outcome(event);
        }
        JsonNode answer = client().waitForEvent(runId(), workerId, key, timeout.toMillis());
        JsonNode now = answer.get("event");
        if (now != null && !now.isNull()) {
            return outcome(now);
        }
        throw new WaitingForEventException(runId(), key);
    }

    private static java.util.Optional<JsonNode> outcome(JsonNode event) {
        if (event.path("timed_out").asBoolean(false)) {
            return java.util.Optional.empty();
        }
        JsonNode payload = event.get("payload");
        return java.util.Optional.of(payload == null ? NullNode.getInstance() : payload);
    }

    private DroverClient client() {
        if (client == null) {
            throw new IllegalStateException("this RunContext has no client (made outside a Worker)");
        }
        return client;
    }

    /**
     * Records AI usage of this run as its worker: the server prices it (catalog, project prices),
     * adds it to the run's cost and enforces the project's budgets. A run that passes its per-run
     * budget is canceled: {@link #isCanceled()} turns true soon after.
     *
     * @param provider the vendor, such as {@code openai} or {@code anthropic}
     * @param model the model name as the vendor reports it
     * @param inputTokens input tokens
     * @param outputTokens output tokens
     * @return the record's cost and the run's total
     */
    public UsageRecorded recordUsage(String provider, String model, long inputTokens, long outputTokens) {
        return recordUsage(Usage.of(provider, model, inputTokens, outputTokens));
    }

    /**
     * Records AI usage of this run, for instance {@code Usage.fromResponse("openai", null, response)}.
     *
     * @param usage the usage
     * @return the record's cost and the run's total
     */
    public UsageRecorded recordUsage(Usage usage) {
        if (client == null) {
            throw new IllegalStateException("this run context has no client to record usage through");
        }
        UsageRecorded r = client.recordUsage(run.id(), workerId, usage);
        if (r.runCanceled()) {
            cancel();
        }
        return r;
    }

    /** @return the run id */
    public String runId() {
        return run.id();
    }

    /**
     * The W3C trace context ({@code 00-<trace id>-<parent id>-<flags>}) given when the run was
     * triggered, or null. While the handler runs it is also in the SLF4J MDC as {@code traceparent}
     * (when SLF4J is on the class path), and, when the OpenTelemetry API is on the class path, the
     * handler runs inside a span that continues this trace.
     *
     * @return the run's traceparent, or null
     */
    public String traceparent() {
        return run.traceparent();
    }

    /** @return the slug of the run's job */
    public String jobSlug() {
        return run.jobSlug();
    }

    /** @return the attempt number, starting at 1 */
    public int attempt() {
        return run.attempt();
    }

    /** @return how many attempts the run gets in all */
    public int maxAttempts() {
        return run.maxAttempts();
    }

    /** @return the run's metadata, a NullNode when it has none */
    public JsonNode metadata() {
        return run.metadata() == null ? NullNode.getInstance() : run.metadata();
    }

    /** @return the run's payload, a NullNode when it has none */
    public JsonNode payload() {
        return run.payload() == null ? NullNode.getInstance() : run.payload();
    }

    /**
     * Maps the payload to a Java type.
     *
     * @param type the target type, such as a record
     * @param <T> the target type
     * @return the payload as a {@code T}
     * @throws NonRetryableException when the payload does not fit the type
     */
    public <T> T payloadAs(Class<T> type) {
        try {
            return mapper.treeToValue(payload(), type);
        } catch (Exception e) {
            throw new NonRetryableException("payload of run " + runId() + " does not map to "
                    + type.getName() + ": " + e.getMessage(), e);
        }
    }

    /** @return the id of the worker executing the run */
    public String workerId() {
        return workerId;
    }

    /** @return the run as it was claimed */
    public Run run() {
        return run;
    }

    /** @return whether the run is no longer this worker's, so that its result will be dropped */
    public boolean isCanceled() {
        return canceled.get();
    }

    void cancel() {
        canceled.set(true);
    }

    /** Claims the right to report the outcome; false when the run was abandoned first. */
    boolean tryFinish() {
        return state.compareAndSet(EXECUTING, FINISHED);
    }

    /** Takes the run away from its handler; false when the handler already finished. */
    boolean tryAbandon() {
        cancel();
        return state.compareAndSet(EXECUTING, ABANDONED);
    }

    boolean isExecuting() {
        return state.get() == EXECUTING;
    }

    /** Whether its handler runs right now (started, not finished, not abandoned). */
    boolean isRunning() {
        return thread != null && state.get() == EXECUTING;
    }

    void bindThread(Thread value) {
        thread = value;
    }

    void interrupt() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
