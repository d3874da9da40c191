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
    private final AtomicBoolean canceled = new AtomicBoolean();
    private final AtomicInteger state = new AtomicInteger(EXECUTING);
    private volatile Thread thread;
    /** Guarded by {@link InFlight}'s lock: this run's outcome counts as pending there. */
    boolean pendingCounted;

    RunContext(Run run, String workerId, ObjectMapper mapper) {
        this.run = run;
        this.workerId = workerId;
        this.mapper = mapper;
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
