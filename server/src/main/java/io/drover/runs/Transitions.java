package io.drover.runs;

import static io.drover.runs.RunStatus.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.Conflict;
import io.drover.http.Json;
import io.drover.jobs.JobSpec;
import java.time.Instant;
import java.util.Map;

/**
 * What each action does to a run, as pure functions from the run before to the run after plus
 * the event that records it. {@link RunChanges#apply} writes the result and checks it against the
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
        return new Change(r.ended(COMPLETED, resultJson, null, now), "completed", null, null);
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
            return new Change(r.retryAt(at, errorJson), outcome.retryEvent,
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
        return new Change(r.ended(to, null, errorJson, now), event, message, attemptData(outcome, errorJson));
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

    /** A waiting run's worker reports a failure: waiting -> failed is its only failure edge, no retry. */
    public static Change failedWhileWaiting(Run r, String errorJson, Instant now) {
        require(r, FAILED, "fail");
        return new Change(r.ended(FAILED, null, errorJson, now), "failed", "failed while waiting", null);
    }

    public static Change cancel(Run r, Instant now, String reason) {
        if (!r.status().canMoveTo(CANCELED)) {
            throw new Conflict("illegal_transition", "run is " + r.status().db() + " and cannot be canceled",
                    Map.of("from", r.status().db(), "to", "canceled"));
        }
        return new Change(r.ended(CANCELED, r.result(), r.error(), now), "canceled", reason, null);
    }

    /** A worker gives a run back (graceful shutdown): queued again, the attempt not counted. */
    public static Change release(Run r) {
        require(r, QUEUED, "release");
        return new Change(r.requeued(Math.max(0, r.attempt() - 1)), "released", "given back by worker " + r.workerId(), null);
    }

    /** A dead-lettered run is queued again with a fresh set of attempts. */
    public static Change replayDeadLetter(Run r) {
        require(r, QUEUED, "replay");
        return new Change(r.requeued(0), "replayed", "replayed from the dead letter queue", null);
    }

    public static Change expire(Run r, Instant now) {
        require(r, EXPIRED, "expire");
        return new Change(r.ended(EXPIRED, null, r.error(), now), "expired", "not started before its ttl ran out", null);
    }

    public static Change startWaiting(Run r, Instant until, String reason) {
        require(r, WAITING, "wait");
        return new Change(r.waitingUntil(until), "waiting", reason, null);
    }

    /** The holder lets go of the run until its children settle: no worker, no lease, no wait timeout. */
    public static Change waitForChildren(Run r) {
        require(r, WAITING, "wait");
        return new Change(r.waitingForChildren(), "waiting", "waiting for its children; worker " + r.workerId()
                + " let go of it", Json.write(Json.object().put("waits_for", Run.WAITS_CHILDREN)));
    }

    /**
     * The last open child of a waiting parent settled: the parent goes back to its queue. The wait
     * is not an attempt: its next claim counts the same attempt again, as a release does.
     */
    public static Change childrenSettled(Run r) {
        require(r, QUEUED, "resume");
        return new Change(r.requeued(Math.max(0, r.attempt() - 1)), "children_settled",
                "its children settled; queued again", null);
    }

    /** The holder completes the run with a continuation ({@code result} names it). */
    public static Change continued(Run r, String resultJson, java.util.UUID next, Instant now) {
        require(r, COMPLETED, "continue");
        return new Change(r.ended(COMPLETED, resultJson, null, now), "completed", "continued as run " + next,
                Json.write(Json.object().put("continuation", next.toString())));
    }

    public static Change resume(Run r, Instant leaseUntil, Instant now) {
        require(r, EXECUTING, "resume");
        Instant deadline = r.timeoutSecs() == null ? null : now.plusSeconds(r.timeoutSecs());
        return new Change(r.executing(r.result(), leaseUntil, deadline, r.startedAt()), "resumed", null, null);
    }

    /**
     * The worker lets go of its run until an event with {@code key} is sent (or {@code until}): the
     * run waits held by no one, its attempt still counted.
     */
    public static Change waitForEvent(Run r, String key, Instant until) {
        require(r, WAITING, "wait");
        return new Change(r.waitingForEvent(until), "waiting_for_event", "waiting for event '" + key + "' until "
                + until, Json.write(Json.object().put("event_key", key).put("timeout_at", until.toString())));
    }

    /**
     * The event a run waited for was sent: back to its queue; the attempt it waited in is not
     * counted again (the next claim continues it with the same number).
     */
    public static Change eventReceived(Run r, String key) {
        require(r, QUEUED, "resume");
        return new Change(r.requeued(Math.max(0, r.attempt() - 1)), "event_received", "event '" + key + "' received",
                Json.write(Json.object().put("event_key", key)));
    }

    /** A run's event wait ran out: back to its queue, where its claim says that the wait timed out. */
    public static Change eventWaitTimedOut(Run r, String key) {
        require(r, QUEUED, "resume");
        return new Change(r.requeued(Math.max(0, r.attempt() - 1)), "event_wait_timed_out", "no event '" + key
                + "' before the wait's timeout", Json.write(Json.object().put("event_key", key)));
    }

    /** A waiting run whose wait ran out: terminal {@code timed_out}. */
    public static Change waitTimedOut(Run r, Instant now) {
        require(r, TIMED_OUT, "time out");
        String error = Json.write(Json.object().put("type", "wait_timeout").put("message", "the wait ran out"));
        return new Change(r.ended(TIMED_OUT, null, error, now), "timed_out", "waited past its deadline", null);
    }

    public static Change systemFail(Run r, String message, Instant now) {
        require(r, SYSTEM_FAILED, "system-fail");
        String error = Json.write(Json.object().put("type", "system").put("message", message));
        return new Change(r.ended(SYSTEM_FAILED, null, error, now), "system_failed", message, null);
    }

    /** The HTTP push dispatcher is about to send the request of a dequeued run. */
    public static Change pushStarted(Run r, Instant leaseUntil, Instant now) {
        require(r, EXECUTING, "start");
        Instant deadline = r.timeoutSecs() == null ? null : now.plusSeconds(r.timeoutSecs());
        return new Change(r.executing(null, leaseUntil, deadline, now), "push_started", null, null);
    }

    /** A dequeued run handed back by the push dispatcher (shutdown): the attempt is not counted. */
    public static Change undequeue(Run r) {
        require(r, QUEUED, "give back");
        return new Change(r.requeued(Math.max(0, r.attempt() - 1)), "released", "given back by the push dispatcher", null);
    }

    private static void require(Run r, RunStatus to, String action) {
        if (!r.status().canMoveTo(to)) {
            throw new Conflict("illegal_transition", "cannot " + action + " a run that is " + r.status().db(),
                    Map.of("from", r.status().db(), "to", to.db()));
        }
    }
}
