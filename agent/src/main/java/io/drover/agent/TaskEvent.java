package io.drover.agent;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One thing that happened to a task of the watched engine, in the shape of the agent protocol's
 * {@code POST /v1/agent/events} frame. {@code seq} is given by {@link EventBuffer} when the event is
 * recorded, and kept on every resend so that Drover counts it once.
 *
 * @param type one of {@code task_sent}, {@code task_started}, {@code task_succeeded},
 *     {@code task_failed}, {@code task_retry}, {@code task_cancelled}, {@code task_expired}
 */
public record TaskEvent(long seq, String type, Instant ts, Task task, TaskError error, String retriedAs) {

    public static final List<String> TYPES = List.of("task_sent", "task_started", "task_succeeded", "task_failed",
            "task_retry", "task_cancelled", "task_expired");

    public TaskEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(task, "task");
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown task event type " + type + "; one of " + TYPES);
        }
        ts = ts == null ? Instant.now() : ts;
    }

    /** The same event with its sequence number. */
    TaskEvent withSeq(long s) {
        return new TaskEvent(s, type, ts, task, error, retriedAs);
    }

    /**
     * A task of the watched engine, named by the engine's own id.
     *
     * @param args positional arguments, or null; redacted again by Drover, but do not send secrets
     * @param kwargs named arguments, or null
     */
    public record Task(String externalId, String engine, String name, String queue, List<Object> args,
            Map<String, Object> kwargs, String groupId) {
        public Task {
            Objects.requireNonNull(externalId, "externalId");
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(name, "name");
        }

        public static Task of(String engine, String externalId, String name) {
            return new Task(externalId, engine, name, null, null, null, null);
        }

        public Task queue(String q) {
            return new Task(externalId, engine, name, q, args, kwargs, groupId);
        }

        public Task group(String g) {
            return new Task(externalId, engine, name, queue, args, kwargs, g);
        }

        public Task kwargs(Map<String, Object> kw) {
            return new Task(externalId, engine, name, queue, args, kw, groupId);
        }
    }

    /** How a task failed: the exception's class, message and stack trace. */
    public record TaskError(String type, String message, String traceback) {
        private static final int MAX_TRACE = 16 * 1024;

        public static TaskError of(Throwable t) {
            if (t == null) {
                return null;
            }
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            String trace = w.toString();
            if (trace.length() > MAX_TRACE) {
                trace = trace.substring(0, MAX_TRACE) + "\n... (cut at " + MAX_TRACE + " characters)";
            }
            return new TaskError(t.getClass().getName(), String.valueOf(t.getMessage()), trace);
        }
    }
}
