package io.drover.workflows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One workflow run as stored; JSON columns are kept as text and passed through. */
public record WorkflowRun(UUID id, UUID projectId, UUID workflowId, String workflowSlug, int version,
        WorkflowRunStatus status,
        String input, String output, String error, String idempotencyKey, UUID parentRunId, String parentStepId,
        int depth, int stepsLeft, boolean compensating, List<String> compensationQueue, Instant createdAt,
        Instant startedAt, Instant finishedAt) {

    static final String COLUMNS = "id, project_id, workflow_id, workflow_slug, version, status, input::text, "
            + "output::text, error::text, idempotency_key, parent_run_id, parent_step_id, depth, steps_left, "
            + "compensating, compensation_queue, created_at, started_at, finished_at";

    static WorkflowRun map(ResultSet rs) throws SQLException {
        String[] queue = (String[]) rs.getArray(16).getArray();
        return new WorkflowRun(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getObject(3, UUID.class),
                rs.getString(4), rs.getInt(5), WorkflowRunStatus.fromDb(rs.getString(6)), rs.getString(7),
                rs.getString(8), rs.getString(9),
                rs.getString(10), rs.getObject(11, UUID.class), rs.getString(12), rs.getInt(13), rs.getInt(14),
                rs.getBoolean(15), List.of(queue), ts(rs, 17), ts(rs, 18), ts(rs, 19));
    }

    public boolean isFinished() {
        return status.isFinished();
    }

    static Instant ts(ResultSet rs, int i) throws SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    /** The run as the API shows it; {@code waiting} when nothing runs and something waits. */
    public ObjectNode toJson(List<StepRun> steps) {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("workflow_id", workflowId.toString());
        n.put("workflow_slug", workflowSlug);
        n.put("version", version);
        String shown = status.db();
        if (status == WorkflowRunStatus.RUNNING && steps != null && !compensating
                && steps.stream().noneMatch(s -> s.status() == StepStatus.RUNNING)
                && steps.stream().anyMatch(s -> s.status() == StepStatus.WAITING)) {
            shown = WorkflowRunStatus.SHOWN_WAITING;
        }
        n.put("status", shown);
        n.put("compensating", compensating);
        raw(n, "input", input);
        raw(n, "output", output);
        raw(n, "error", error);
        n.put("idempotency_key", idempotencyKey);
        n.put("parent_run_id", parentRunId == null ? null : parentRunId.toString());
        n.put("parent_step_id", parentStepId);
        n.put("depth", depth);
        if (steps != null) {
            var arr = n.putArray("steps");
            steps.forEach(s -> arr.add(s.toJson()));
        }
        n.put("created_at", createdAt.toString());
        n.put("started_at", startedAt == null ? null : startedAt.toString());
        n.put("finished_at", finishedAt == null ? null : finishedAt.toString());
        return n;
    }

    static void raw(ObjectNode n, String field, String json) {
        if (json == null) {
            n.putNull(field);
        } else {
            n.putRawValue(field, new RawValue(json));
        }
    }
}
