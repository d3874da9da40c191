package io.drover.runs;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The run state machine: the 13 states and every legal transition, in this one table. The same
 * states are the PostgreSQL enum {@code run_status}; every change of state writes a run event in
 * the same statement batch (see {@code runs.sql}).
 */
public enum RunStatus {
    /** Waiting for {@code scheduled_at} (a delayed trigger or a retry's backoff). */
    DELAYED,
    /** Ready to be claimed by a worker or taken by the HTTP push dispatcher. */
    QUEUED,
    /** Taken by the HTTP push dispatcher; the request is not sent yet. */
    DEQUEUED,
    /** Held under a lease by a worker, or being pushed over HTTP. */
    EXECUTING,
    /**
     * Paused by its worker (waiting for an event or a resume; keeps its worker), or waiting for its
     * children without a worker ({@code waits_for = 'children'}), until they settle and it is queued again.
     */
    WAITING,
    COMPLETED,
    /** Failed without retry (not retryable, or attempts used up with the dead letter queue off). */
    FAILED,
    TIMED_OUT,
    CRASHED,
    /** Drover itself could not run it (e.g. the job is gone or its endpoint cannot be used). */
    SYSTEM_FAILED,
    CANCELED,
    /** Not started before its TTL ran out. */
    EXPIRED,
    /** Attempts used up; kept until replayed. */
    DEAD_LETTER;

    private static final Map<RunStatus, Set<RunStatus>> LEGAL = Map.of(
            DELAYED, EnumSet.of(QUEUED, CANCELED, EXPIRED),
            QUEUED, EnumSet.of(DEQUEUED, EXECUTING, CANCELED, EXPIRED),
            DEQUEUED, EnumSet.of(EXECUTING, QUEUED, CANCELED, SYSTEM_FAILED),
            EXECUTING, EnumSet.of(COMPLETED, FAILED, TIMED_OUT, CRASHED, CANCELED, WAITING, QUEUED, DELAYED,
                    DEAD_LETTER, SYSTEM_FAILED),
            // waiting -> queued: a parent whose children all settled, or a run that waited for an
            // event (without a worker), goes back to its queue
            WAITING, EnumSet.of(EXECUTING, COMPLETED, FAILED, CANCELED, TIMED_OUT, QUEUED),
            DEAD_LETTER, EnumSet.of(QUEUED));

    private static final Set<RunStatus> TERMINAL =
            EnumSet.of(COMPLETED, FAILED, TIMED_OUT, CRASHED, SYSTEM_FAILED, CANCELED, EXPIRED);

    public boolean canMoveTo(RunStatus next) {
        return LEGAL.getOrDefault(this, Set.of()).contains(next);
    }

    /** The states this one may move to (empty for a terminal state). */
    public Set<RunStatus> next() {
        return LEGAL.getOrDefault(this, Set.of());
    }

    /** Terminal: no transition leaves it. {@link #DEAD_LETTER} is not terminal (it can be replayed). */
    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }

    /** Settled: terminal or dead-lettered; nothing will happen to it without a person. */
    public boolean isSettled() {
        return isTerminal() || this == DEAD_LETTER;
    }

    public boolean isActive() {
        return this == DEQUEUED || this == EXECUTING || this == WAITING;
    }

    /** The lower-case name used in JSON and in PostgreSQL. */
    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Parses an API value; null when it names no state. */
    public static RunStatus parse(String value) {
        for (RunStatus s : values()) {
            if (s.db().equals(value)) {
                return s;
            }
        }
        return null;
    }

    /** The states cancel may leave from. */
    public static Set<RunStatus> cancelable() {
        EnumSet<RunStatus> set = EnumSet.noneOf(RunStatus.class);
        for (RunStatus s : values()) {
            if (s.canMoveTo(CANCELED)) {
                set.add(s);
            }
        }
        return set;
    }
}
