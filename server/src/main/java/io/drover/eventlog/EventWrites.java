package io.drover.eventlog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Collection;
import java.util.UUID;

/**
 * Writes the low-volume kinds of events (workflow_run.*, workflow_step.*, approval.*, and later
 * agent.*, budget.*, slo.*, webhook.dead) into {@code log_events}, in the caller's transaction: the
 * event commits with the change it tells of, or not at all. Its order in the log comes from the
 * transaction's commit (the fences), not from anything set here. Run events need none of this:
 * every run_events row is already in the log.
 */
public final class EventWrites {
    private EventWrites() {}

    /** One event; {@code now} null: the database's time (SqlTime). */
    public static void insert(Connection c, UUID projectId, String type, UUID runId, ObjectNode data, Timestamp now)
            throws SQLException {
        try (Query q = EventLog.SQL.prepare(c, "insert_event")) {
            q.set("project_id", projectId).set("type", type).set("run_id", runId).set("data", data.toString())
                    .set("now", now).update();
        }
    }

    /** {@code workflow_run.<status>}, read from the workflow run's row as the caller just wrote it. */
    public static void workflowRun(Connection c, UUID workflowRunId) throws SQLException {
        try (Query q = EventLog.SQL.prepare(c, "workflow_run_event")) {
            q.set("workflow_run_id", workflowRunId).update();
        }
    }

    /** {@code workflow_step.<status>} for each step, read from the step rows as the caller just wrote them. */
    public static void workflowSteps(Connection c, UUID workflowRunId, Collection<String> stepIds)
            throws SQLException {
        if (stepIds.isEmpty()) {
            return;
        }
        try (Query q = EventLog.SQL.prepare(c, "workflow_step_events")) {
            q.set("workflow_run_id", workflowRunId).setArray("step_ids", "text", stepIds.toArray()).update();
        }
    }
}
