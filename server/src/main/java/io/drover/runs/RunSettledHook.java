package io.drover.runs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * Told, inside the transaction that settles them, about runs that belong to a workflow step and
 * reached a final state (completed, failed, dead_letter, canceled, expired, timed_out, crashed,
 * system_failed). The workflow engine advances in that same transaction, so a step's completion
 * and the start of what depends on it commit together. Runs outside workflows never reach it.
 */
@FunctionalInterface
public interface RunSettledHook {
    RunSettledHook NONE = (c, settled) -> {};

    /** One settled workflow-step run. {@code result} and {@code error} are JSON text or null. */
    record Settled(UUID runId, UUID workflowRunId, String stepId, RunStatus status, String result, String error) {
        static Settled of(Run r) {
            return new Settled(r.id(), r.workflowRunId(), r.stepId(), r.status(), r.result(), r.error());
        }
    }

    void settled(Connection c, List<Settled> settled) throws SQLException;
}
