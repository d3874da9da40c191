package io.drover.workflows;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The step run state machine: the 7 states of a step of a workflow run and every legal transition,
 * in this one table. The names are the values of {@code workflow_step_runs.status} and of a step's
 * {@code status} in the API. Every write of a step's status goes through {@link StatusWrites}, which
 * lets the database change only a row whose current status may move to the new one.
 */
public enum StepStatus {
    /** Waiting for its dependencies, or ready but blocked on a concurrency key. Every step starts here. */
    PENDING,
    /** A job step's run or a sub-workflow run is under way (or a sleep ending at once). */
    RUNNING,
    /** An approval, an event wait or a sleep waits for a person, an event or a time. */
    WAITING,
    COMPLETED,
    FAILED,
    /** Its condition was false, or a step it depends on failed with {@code skip_dependents}. */
    SKIPPED,
    /** The run failed, compensated or was canceled before this step settled. */
    CANCELED;

    /** The state of a step run when its workflow run is created. */
    public static final StepStatus INITIAL = PENDING;

    private static final Map<StepStatus, Set<StepStatus>> LEGAL = Map.of(
            PENDING, EnumSet.of(RUNNING, WAITING, SKIPPED, FAILED, CANCELED),
            // running -> running: the next attempt of a job step is a new run
            RUNNING, EnumSet.of(RUNNING, COMPLETED, FAILED, CANCELED),
            WAITING, EnumSet.of(COMPLETED, FAILED, CANCELED),
            // settled steps move only back to pending, by an operator's retry
            COMPLETED, EnumSet.of(PENDING),
            FAILED, EnumSet.of(PENDING),
            SKIPPED, EnumSet.of(PENDING),
            CANCELED, EnumSet.of(PENDING));

    private static final Set<StepStatus> SETTLED = EnumSet.of(COMPLETED, FAILED, SKIPPED, CANCELED);

    public boolean canMoveTo(StepStatus next) {
        return LEGAL.getOrDefault(this, Set.of()).contains(next);
    }

    /** The states this one may move to. */
    public Set<StepStatus> next() {
        return LEGAL.getOrDefault(this, Set.of());
    }

    /** The states that may move to this one. */
    public Set<StepStatus> sources() {
        EnumSet<StepStatus> set = EnumSet.noneOf(StepStatus.class);
        for (StepStatus s : values()) {
            if (s.canMoveTo(this)) {
                set.add(s);
            }
        }
        return set;
    }

    /** Settled: counted off the run's {@code steps_left}; only an operator's retry brings it back. */
    public boolean isSettled() {
        return SETTLED.contains(this);
    }

    /** Running or waiting: it holds its concurrency key and may have a due time. */
    public boolean isActive() {
        return this == RUNNING || this == WAITING;
    }

    /** The lower-case name used in JSON and in PostgreSQL. */
    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static StepStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
