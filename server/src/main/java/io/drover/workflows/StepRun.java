package io.drover.workflows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** The runtime state of one step of one workflow run. */
public record StepRun(UUID workflowRunId, String stepId, String type, StepStatus status, int depsTotal, int depsDone,
        int depsBlocked, String skipReason, int attempt, UUID runId, UUID childRunId, String concurrencyKey,
        boolean blocked, Instant dueAt, String output, String error, boolean compensated, Instant startedAt,
        Instant finishedAt) {

    static final String COLUMNS = "workflow_run_id, step_id, type, status, deps_total, deps_done, deps_blocked, "
            + "skip_reason, attempt, run_id, child_run_id, concurrency_key, blocked, due_at, output::text, "
            + "error::text, compensated, started_at, finished_at";

    static StepRun map(ResultSet rs) throws SQLException {
        return new StepRun(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                StepStatus.fromDb(rs.getString(4)), rs.getInt(5), rs.getInt(6), rs.getInt(7), rs.getString(8),
                rs.getInt(9), rs.getObject(10, UUID.class),
                rs.getObject(11, UUID.class), rs.getString(12), rs.getBoolean(13), WorkflowRun.ts(rs, 14),
                rs.getString(15), rs.getString(16), rs.getBoolean(17), WorkflowRun.ts(rs, 18), WorkflowRun.ts(rs, 19));
    }

    public boolean isActive() {
        return status.isActive();
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("step_id", stepId);
        n.put("type", type);
        n.put("status", status.db());
        n.put("run_id", runId == null ? null : runId.toString());
        n.put("child_run_id", childRunId == null ? null : childRunId.toString());
        n.put("attempt", attempt);
        WorkflowRun.raw(n, "output", output);
        WorkflowRun.raw(n, "error", error);
        n.put("skip_reason", skipReason);
        n.put("blocked", blocked);
        n.put("compensated", compensated);
        n.put("due_at", dueAt == null ? null : dueAt.toString());
        n.put("started_at", startedAt == null ? null : startedAt.toString());
        n.put("finished_at", finishedAt == null ? null : finishedAt.toString());
        return n;
    }
}
