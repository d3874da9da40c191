package io.drover.workflows;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The workflow run state machine: the 5 stored states and every legal transition, in this one
 * table. The names are the values of {@code workflow_runs.status} and of a run's {@code status} in
 * the API, which also shows a running run as {@link #SHOWN_WAITING} when no step runs and some step
 * waits (a view, never stored). A compensating run stays {@link #RUNNING} with
 * {@code compensating = true}. Every write of a run's status goes through {@link StatusWrites}.
 */
public enum WorkflowRunStatus {
    /** Reserved: the API and the schema name it, but runs are created {@link #RUNNING} today. */
    PENDING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELED;

    /** The state of a workflow run when it is created. */
    public static final WorkflowRunStatus INITIAL = RUNNING;

    /** How the API shows a running run in which nothing runs and something waits. */
    public static final String SHOWN_WAITING = "waiting";

    private static final Map<WorkflowRunStatus, Set<WorkflowRunStatus>> LEGAL = Map.of(
            PENDING, EnumSet.of(RUNNING, CANCELED),
            RUNNING, EnumSet.of(COMPLETED, FAILED, CANCELED),
            // an operator's retry of a failed step reopens a finished run (never a canceled one)
            COMPLETED, EnumSet.of(RUNNING),
            FAILED, EnumSet.of(RUNNING));

    private static final Set<WorkflowRunStatus> FINISHED = EnumSet.of(COMPLETED, FAILED, CANCELED);

    public boolean canMoveTo(WorkflowRunStatus next) {
        return LEGAL.getOrDefault(this, Set.of()).contains(next);
    }

    /** The states this one may move to (none for {@link #CANCELED}). */
    public Set<WorkflowRunStatus> next() {
        return LEGAL.getOrDefault(this, Set.of());
    }

    /** The states that may move to this one. */
    public Set<WorkflowRunStatus> sources() {
        EnumSet<WorkflowRunStatus> set = EnumSet.noneOf(WorkflowRunStatus.class);
        for (WorkflowRunStatus s : values()) {
            if (s.canMoveTo(this)) {
                set.add(s);
            }
        }
        return set;
    }

    /** Finished: {@code finished_at} is set (CHECK {@code workflow_runs_finished}). */
    public boolean isFinished() {
        return FINISHED.contains(this);
    }

    /** Terminal: no transition leaves it. */
    public boolean isTerminal() {
        return next().isEmpty();
    }

    /** The lower-case name used in JSON and in PostgreSQL. */
    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static WorkflowRunStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Whether the run list can filter by this value: a stored state or {@code waiting}. */
    public static boolean isFilter(String value) {
        if (SHOWN_WAITING.equals(value)) {
            return true;
        }
        for (WorkflowRunStatus s : values()) {
            if (s.db().equals(value)) {
                return true;
            }
        }
        return false;
    }
}
