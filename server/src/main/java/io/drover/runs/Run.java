package io.drover.runs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.drover.http.Json;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/**
 * One run, as stored. JSON columns are kept as text: they are passed through to clients without
 * being parsed and written again. Transitions make a changed copy with the named moves
 * ({@link #ended}, {@link #retryAt}, ...) and {@link RunChanges} writes them.
 */
public record Run(
        UUID id, UUID projectId, UUID jobId, String jobSlug, int jobVersion, String queue, String execution,
        RunStatus status, boolean admitted, boolean limited, int attempt, int maxAttempts, int priority,
        String payload, String metadata, String result, String error,
        String idempotencyKey, String concurrencyKey, String workerId,
        Instant scheduledAt, Instant nextRetryAt, Instant leaseExpiresAt, Instant deadlineAt, Instant expiresAt,
        Integer timeoutSecs, UUID replayOf, UUID scheduleId,
        Instant createdAt, Instant startedAt, Instant finishedAt, UUID workflowRunId, String stepId,
        UUID parentRunId, UUID continuationOf, Integer lineageDepth, String waitsFor,
        Long costMicrousd, String traceparent) {

    /** Index of the {@code now()} column that lock queries select after {@link #COLUMNS}. */
    public static final int NOW_INDEX = 40;

    /** {@link #waitsFor} of a parent waiting, without a worker, for its children to settle. */
    public static final String WAITS_CHILDREN = "children";
    /** {@link #waitsFor} of a parent whose children all settled: its claims carry them. */
    public static final String CHILDREN_SETTLED = "children_settled";

    /** A run outside any lineage (no parent, no continuation). */
    public Run(UUID id, UUID projectId, UUID jobId, String jobSlug, int jobVersion, String queue, String execution,
            RunStatus status, boolean admitted, boolean limited, int attempt, int maxAttempts, int priority,
            String payload, String metadata, String result, String error,
            String idempotencyKey, String concurrencyKey, String workerId,
            Instant scheduledAt, Instant nextRetryAt, Instant leaseExpiresAt, Instant deadlineAt, Instant expiresAt,
            Integer timeoutSecs, UUID replayOf, UUID scheduleId,
            Instant createdAt, Instant startedAt, Instant finishedAt, UUID workflowRunId, String stepId) {
        this(id, projectId, jobId, jobSlug, jobVersion, queue, execution, status, admitted, limited, attempt,
                maxAttempts, priority, payload, metadata, result, error, idempotencyKey, concurrencyKey, workerId,
                scheduledAt, nextRetryAt, leaseExpiresAt, deadlineAt, expiresAt, timeoutSecs, replayOf, scheduleId,
                createdAt, startedAt, finishedAt, workflowRunId, stepId, null, null, null, null, null, null);
    }

    /** How many continuations lead to this run: 0 for a run that continues none. */
    public int depth() {
        return lineageDepth == null ? 0 : lineageDepth;
    }

    /** The column list every run query selects, in the order {@link #map} reads. */
    public static final String COLUMNS = "id, project_id, job_id, job_slug, job_version, queue, execution, status, "
            + "admitted, limited, attempt, max_attempts, priority, payload::text, metadata::text, result::text, "
            + "error::text, idempotency_key, concurrency_key, worker_id, scheduled_at, next_retry_at, "
            + "lease_expires_at, deadline_at, expires_at, timeout_secs, replay_of, schedule_id, created_at, "
            + "started_at, finished_at, workflow_run_id, step_id, parent_run_id, continuation_of, lineage_depth, waits_for, "
            + "cost_microusd, traceparent";

    public static Run map(ResultSet rs) throws SQLException {
        return new Run(
                rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getObject(3, UUID.class),
                rs.getString(4), rs.getInt(5), rs.getString(6), rs.getString(7), RunStatus.fromDb(rs.getString(8)),
                rs.getBoolean(9), rs.getBoolean(10), rs.getInt(11), rs.getInt(12), rs.getInt(13),
                rs.getString(14), rs.getString(15), rs.getString(16), rs.getString(17),
                rs.getString(18), rs.getString(19), rs.getString(20),
                ts(rs, 21), ts(rs, 22), ts(rs, 23), ts(rs, 24), ts(rs, 25),
                (Integer) rs.getObject(26), rs.getObject(27, UUID.class), rs.getObject(28, UUID.class),
                ts(rs, 29), ts(rs, 30), ts(rs, 31), rs.getObject(32, UUID.class), rs.getString(33),
                rs.getObject(34, UUID.class), rs.getObject(35, UUID.class), (Integer) rs.getObject(36),
                rs.getString(37), (Long) rs.getObject(38), rs.getString(39));
    }

    private static Instant ts(ResultSet rs, int i) throws SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    /**
     * The run as the API shows it, as a tree (for answers that are edited or redacted before they
     * go out). Built from {@link #writeJson}, so the tree and the streamed answers cannot drift
     * apart; JSON columns stay raw text inside it.
     */
    public ObjectNode toJson() {
        try (TokenBuffer buffer = new TokenBuffer(Json.MAPPER, false)) {
            writeJson(buffer);
            return (ObjectNode) Json.MAPPER.readTree(buffer.asParser());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Writes the run's API fields straight to a generator: the claim and batch-trigger answers hold
     * up to 500 and 1,000 runs, and building a tree per run first was a visible part of the
     * server's CPU per run.
     */
    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id.toString());
        g.writeStringField("job_id", jobId.toString());
        g.writeStringField("job_slug", jobSlug);
        g.writeNumberField("job_version", jobVersion);
        g.writeStringField("queue", queue);
        g.writeStringField("execution", execution);
        g.writeStringField("status", status.db());
        g.writeNumberField("attempt", attempt);
        g.writeNumberField("max_attempts", maxAttempts);
        g.writeNumberField("priority", priority);
        raw(g, "payload", payload);
        raw(g, "metadata", metadata);
        raw(g, "result", result);
        raw(g, "error", error);
        g.writeStringField("idempotency_key", idempotencyKey);
        g.writeStringField("concurrency_key", concurrencyKey);
        g.writeStringField("worker_id", workerId);
        time(g, "scheduled_at", scheduledAt);
        time(g, "next_retry_at", nextRetryAt);
        time(g, "lease_expires_at", leaseExpiresAt);
        time(g, "timeout_at", deadlineAt);
        time(g, "expires_at", expiresAt);
        g.writeStringField("replay_of", replayOf == null ? null : replayOf.toString());
        g.writeStringField("schedule_id", scheduleId == null ? null : scheduleId.toString());
        time(g, "created_at", createdAt);
        time(g, "started_at", startedAt);
        time(g, "finished_at", finishedAt);
        g.writeStringField("workflow_run_id", workflowRunId == null ? null : workflowRunId.toString());
        g.writeStringField("step_id", stepId);
        g.writeStringField("parent_run_id", parentRunId == null ? null : parentRunId.toString());
        g.writeStringField("continuation_of", continuationOf == null ? null : continuationOf.toString());
        g.writeNumberField("lineage_depth", depth());
        g.writeNumberField("cost_microusd", costMicrousd == null ? 0 : costMicrousd); // the usage recorded so far
        g.writeStringField("traceparent", traceparent);
        g.writeEndObject();
    }

    /** {@code {"data": [run, ...]}} as bytes, what a tree of {@link #toJson}s would write. */
    public static byte[] dataJson(java.util.List<Run> runs) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512 + runs.size() * 900);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("data");
            for (Run run : runs) {
                run.writeJson(g);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void raw(JsonGenerator g, String field, String json) throws IOException {
        g.writeFieldName(field);
        if (json == null) {
            g.writeNull();
        } else {
            g.writeRawValue(json);
        }
    }

    private static void time(JsonGenerator g, String field, Instant t) throws IOException {
        g.writeFieldName(field);
        if (t == null) {
            g.writeNull();
            return;
        }
        char[] buf = new char[30];
        int n = rfc3339(t, buf);
        if (n < 0) {
            g.writeString(t.toString());
        } else {
            g.writeString(buf, 0, n);
        }
    }

    /** 0001-01-01T00:00:00Z up to, not including, the year 10000: four-digit years. */
    private static final long MIN_PLAIN_SECOND = -62_135_596_800L;
    private static final long MAX_PLAIN_SECOND = 253_402_300_800L;

    /**
     * Writes {@code t} as {@link Instant#toString} does (ISO_INSTANT: the fraction in groups of three
     * digits, none when zero) into {@code buf}, returning the length; -1 for years outside 1..9999,
     * which are left to {@code toString}. Eight timestamps per run went through the general
     * DateTimeFormatter, a visible part of writing claim answers.
     */
    static int rfc3339(Instant t, char[] buf) {
        long secs = t.getEpochSecond();
        if (secs < MIN_PLAIN_SECOND || secs >= MAX_PLAIN_SECOND) {
            return -1;
        }
        long days = Math.floorDiv(secs, 86_400L);
        int secOfDay = (int) Math.floorMod(secs, 86_400L);
        java.time.LocalDate date = java.time.LocalDate.ofEpochDay(days);
        int year = date.getYear();
        two(buf, 0, year / 100);
        two(buf, 2, year % 100);
        buf[4] = '-';
        two(buf, 5, date.getMonthValue());
        buf[7] = '-';
        two(buf, 8, date.getDayOfMonth());
        buf[10] = 'T';
        two(buf, 11, secOfDay / 3600);
        buf[13] = ':';
        two(buf, 14, secOfDay / 60 % 60);
        buf[16] = ':';
        two(buf, 17, secOfDay % 60);
        int n = 19;
        int nano = t.getNano();
        if (nano != 0) {
            buf[n++] = '.';
            int digits;
            int value;
            if (nano % 1_000_000 == 0) {
                digits = 3;
                value = nano / 1_000_000;
            } else if (nano % 1000 == 0) {
                digits = 6;
                value = nano / 1000;
            } else {
                digits = 9;
                value = nano;
            }
            for (int i = n + digits - 1; i >= n; i--) {
                buf[i] = (char) ('0' + value % 10);
                value /= 10;
            }
            n += digits;
        }
        buf[n++] = 'Z';
        return n;
    }

    private static void two(char[] buf, int at, int v) {
        buf[at] = (char) ('0' + v / 10);
        buf[at + 1] = (char) ('0' + v % 10);
    }

    /** The run with the W3C trace context it was triggered with. */
    public Run withTraceparent(String tp) {
        return new Run(id, projectId, jobId, jobSlug, jobVersion, queue, execution, status, admitted, limited, attempt,
                maxAttempts, priority, payload, metadata, result, error, idempotencyKey, concurrencyKey, workerId,
                scheduledAt, nextRetryAt, leaseExpiresAt, deadlineAt, expiresAt, timeoutSecs, replayOf, scheduleId,
                createdAt, startedAt, finishedAt, workflowRunId, stepId, parentRunId, continuationOf, lineageDepth,
                waitsFor, costMicrousd, tp);
    }

    public Run withStatus(RunStatus s) {
        return new Run(id, projectId, jobId, jobSlug, jobVersion, queue, execution, s, admitted, limited, attempt,
                maxAttempts, priority, payload, metadata, result, error, idempotencyKey, concurrencyKey, workerId,
                scheduledAt, nextRetryAt, leaseExpiresAt, deadlineAt, expiresAt, timeoutSecs, replayOf, scheduleId,
                createdAt, startedAt, finishedAt, workflowRunId, stepId, parentRunId, continuationOf, lineageDepth,
                waitsFor, costMicrousd, traceparent);
    }

    // The moves a transition makes (Transitions), one per kind of change, each naming what it keeps
    // and what it clears; RunSql.write writes the mutable columns they set.

    /** Ended (a final state or the dead letter queue): no retry time, lease or deadline; finished now. */
    public Run ended(RunStatus s, String result, String error, Instant now) {
        return moved(s, attempt, workerId, result, error, scheduledAt, null, null, null, startedAt, now, admitted);
    }

    /** An attempt ended and the next is due at {@code at}: delayed, a limited run's slot given up. */
    public Run retryAt(Instant at, String error) {
        return moved(RunStatus.DELAYED, attempt, workerId, null, error, at, at, null, null, startedAt, null, !limited);
    }

    /** Back in the queue with {@code attempt} attempts counted, held by no one, a limited run's slot given up. */
    public Run requeued(int attempt) {
        return moved(RunStatus.QUEUED, attempt, null, null, error, scheduledAt, null, null, null, null, null, !limited);
    }

    /** Paused by its worker until {@code until}. */
    public Run waitingUntil(Instant until) {
        return moved(RunStatus.WAITING, attempt, workerId, result, error, scheduledAt, null, until, null, startedAt, null,
                admitted);
    }

    /** Let go by its worker to wait for an event until {@code until}: held by no one meanwhile. */
    public Run waitingForEvent(Instant until) {
        return moved(RunStatus.WAITING, attempt, null, result, error, scheduledAt, null, until, null, startedAt, null,
                admitted);
    }

    /** Executing under a lease until {@code leaseUntil}, with its attempt's deadline and start time. */
    public Run executing(String result, Instant leaseUntil, Instant deadline, Instant startedAt) {
        return moved(RunStatus.EXECUTING, attempt, workerId, result, error, scheduledAt, null, leaseUntil, deadline,
                startedAt, null, admitted);
    }

    /** Waiting for its children, held by no worker: no lease, no deadline, no wait timeout. */
    public Run waitingForChildren() {
        return moved(RunStatus.WAITING, attempt, null, result, error, scheduledAt, null, null, null, startedAt, null,
                admitted);
    }

    private Run moved(RunStatus s, int attempt, String workerId, String result, String error, Instant scheduledAt,
            Instant nextRetryAt, Instant leaseExpiresAt, Instant deadlineAt, Instant startedAt, Instant finishedAt,
            boolean admitted) {
        return new Run(id, projectId, jobId, jobSlug, jobVersion, queue, execution, s, admitted, limited, attempt,
                maxAttempts, priority, payload, metadata, result, error, idempotencyKey, concurrencyKey, workerId,
                scheduledAt, nextRetryAt, leaseExpiresAt, deadlineAt, expiresAt, timeoutSecs, replayOf, scheduleId,
                createdAt, startedAt, finishedAt, workflowRunId, stepId, parentRunId, continuationOf, lineageDepth,
                waitsFor, costMicrousd, traceparent);
    }
}
