package io.drover.runs;

import static io.drover.runs.RunStatus.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.jobs.JobSpec;
import java.time.Instant;
import java.util.Map;

/**
 * What each action does to a run, as pure functions from the run before to the run after plus
 * the event that records it. {@link RunStore#apply} writes the result and checks it against the
 * table in {@link RunStatus}; nothing here touches the database.
 */
public final class Transitions {
    private Transitions() {}

    /** A computed change: the run after, and its event. */
    public record Change(Run after, String event, String message, String data) {}

    /** How an attempt ended. */
    public enum Outcome {
        FAILED("attempt_failed", RunStatus.FAILED),
        TIMED_OUT("attempt_timed_out", RunStatus.TIMED_OUT),
        CRASHED("attempt_crashed", RunStatus.CRASHED);

        final String retryEvent;
        final RunStatus terminal;

        Outcome(String retryEvent, RunStatus terminal) {
            this.retryEvent = retryEvent;
            this.terminal = terminal;
        }
    }

    public static Change complete(Run r, String resultJson, Instant now) {
        require(r, COMPLETED, "complete");
        return new Change(r.with(COMPLETED, r.attempt(), r.workerId(), resultJson, null, r.scheduledAt(), null, null,
                null, r.startedAt(), now, r.admitted()), "completed", null, null);
    }

    /**
     * An attempt ended without success. Retryable outcomes with attempts left go to {@code delayed}
     * with the retry policy's backoff; otherwise to {@code dead_letter} (the default) or the
     * terminal state of the outcome.
     */
    public static Change attemptEnded(Run r, JobSpec spec, Outcome outcome, String errorJson, boolean retryable,
            Instant now) {
        boolean attemptsLeft = r.attempt() < r.maxAttempts();
        if (retryable && attemptsLeft) {
            long delay = spec.retry().delayMs(r.attempt());
            Instant at = now.plusMillis(delay);
            require(r, DELAYED, "retry");
            return new Change(r.with(DELAYED, r.attempt(), r.workerId(), null, errorJson, at, at, null, null,
                    r.startedAt(), null, !r.limited()), outcome.retryEvent,
                    "attempt " + r.attempt() + " of " + r.maxAttempts() + " " + describe(outcome) + "; retry in " + delay + " ms",
                    attemptData(outcome, errorJson));
        }
        RunStatus to;
        String message;
        if (!retryable && outcome == Outcome.FAILED) {
            to = FAILED;
            message = "attempt " + r.attempt() + " failed with a non-retryable error";
        } else if (spec.deadLetter()) {
            to = DEAD_LETTER;
            message = "attempt " + r.attempt() + " of " + r.maxAttempts() + " " + describe(outcome)
                    + "; attempts used up, moved to the dead letter queue";
        } else {
            to = outcome.terminal;
            message = "attempt " + r.attempt() + " of " + r.maxAttempts() + " " + describe(outcome) + "; attempts used up";
        }
        require(r, to, "fail");
        String event = to == DEAD_LETTER ? "dead_lettered" : to.db();
        return new Change(r.with(to, r.attempt(), r.workerId(), null, errorJson, r.scheduledAt(), null, null, null,
                r.startedAt(), now, r.admitted()), event, message, attemptData(outcome, errorJson));
    }

    /** The event data of an ended attempt: its outcome and its error, kept even after a later attempt succeeds. */
    private static String attemptData(Outcome outcome, String errorJson) {
        ObjectNode data = Json.object().put("outcome", outcome.name().toLowerCase());
        if (errorJson != null) {
            data.set("error", Json.read(errorJson));
        }
        return Json.write(data);
    }

    private static String describe(Outcome o) {
        return switch (o) {
            case FAILED -> "failed";
            case TIMED_OUT -> "timed out";
            case CRASHED -> "crashed (lease expired)";
        };
    }

    public static Change cancel(Run r, Instant now, String reason) {
        if (!r.status().canMoveTo(CANCELED)) {
            throw ApiError.conflict("illegal_transition", "run is " + r.status().db() + " and cannot be canceled",
                    Map.of("from", r.status().db(), "to", "canceled"));
        }
        return new Change(r.with(CANCELED, r.attempt(), r.workerId(), r.result(), r.error(), r.scheduledAt(), null,
                null, null, r.startedAt(), now, r.admitted()), "canceled", reason, null);
    }

    /** A worker gives a run back (graceful shutdown): queued again, the attempt not counted. */
    public static Change release(Run r) {
        require(r, QUEUED, "release");
        return new Change(r.with(QUEUED, Math.max(0, r.attempt() - 1), null, null, r.error(), r.scheduledAt(), null,
                null, null, null, null, !r.limited()), "released", "given back by worker " + r.workerId(), null);
    }

    /** A dead-lettered run is queued again with a fresh set of attempts. */
    public static Change replayDeadLetter(Run r) {
        require(r, QUEUED, "replay");
        return new Change(r.with(QUEUED, 0, null, null, r.error(), r.scheduledAt(), null, null, null, null, null,
                !r.limited()), "replayed", "replayed from the dead letter queue", null);
    }

    public static Change expire(Run r, Instant now) {
        require(r, EXPIRED, "expire");
        return new Change(r.with(EXPIRED, r.attempt(), r.workerId(), null, r.error(), r.scheduledAt(), null, null,
                null, r.startedAt(), now, r.admitted()), "expired", "not started before its ttl ran out", null);
    }

    public static Change startWaiting(Run r, Instant until, String reason) {
        require(r, WAITING, "wait");
        return new Change(r.with(WAITING, r.attempt(), r.workerId(), r.result(), r.error(), r.scheduledAt(), null,
                until, null, r.startedAt(), null, r.admitted()), "waiting", reason, null);
    }

    public static Change resume(Run r, Instant leaseUntil, Instant now) {
        require(r, EXECUTING, "resume");
        Instant deadline = r.timeoutSecs() == null ? null : now.plusSeconds(r.timeoutSecs());
        return new Change(r.with(EXECUTING, r.attempt(), r.workerId(), r.result(), r.error(), r.scheduledAt(), null,
                leaseUntil, deadline, r.startedAt(), null, r.admitted()), "resumed", null, null);
    }

    /** A waiting run whose wait ran out: terminal {@code timed_out}. */
    public static Change waitTimedOut(Run r, Instant now) {
        require(r, TIMED_OUT, "time out");
        String error = Json.write(Json.object().put("type", "wait_timeout").put("message", "the wait ran out"));
        return new Change(r.with(TIMED_OUT, r.attempt(), r.workerId(), null, error, r.scheduledAt(), null, null, null,
                r.startedAt(), now, r.admitted()), "timed_out", "waited past its deadline", null);
    }

    public static Change systemFail(Run r, String message, Instant now) {
        require(r, SYSTEM_FAILED, "system-fail");
        String error = Json.write(Json.object().put("type", "system").put("message", message));
        return new Change(r.with(SYSTEM_FAILED, r.attempt(), r.workerId(), null, error, r.scheduledAt(), null, null,
                null, r.startedAt(), now, r.admitted()), "system_failed", message, null);
    }

    /** The HTTP push dispatcher is about to send the request of a dequeued run. */
    public static Change pushStarted(Run r, Instant leaseUntil, Instant now) {
        require(r, EXECUTING, "start");
        Instant deadline = r.timeoutSecs() == null ? null : now.plusSeconds(r.timeoutSecs());
        return new Change(r.with(EXECUTING, r.attempt(), r.workerId(), null, r.error(), r.scheduledAt(), null,
                leaseUntil, deadline, now, null, r.admitted()), "push_started", null, null);
    }

    /** A dequeued run handed back by the push dispatcher (shutdown): the attempt is not counted. */
    public static Change undequeue(Run r) {
        require(r, QUEUED, "give back");
        return new Change(r.with(QUEUED, Math.max(0, r.attempt() - 1), null, null, r.error(), r.scheduledAt(), null,
                null, null, null, null, !r.limited()), "released", "given back by the push dispatcher", null);
    }

    private static void require(Run r, RunStatus to, String action) {
        if (!r.status().canMoveTo(to)) {
            throw ApiError.conflict("illegal_transition", "cannot " + action + " a run that is " + r.status().db(),
                    Map.of("from", r.status().db(), "to", to.db()));
        }
    }
}
