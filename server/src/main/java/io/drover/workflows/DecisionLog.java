package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/**
 * The explain log of one {@link Advance}: every scheduling decision of the pass, buffered in order
 * and written at its end with one statement ({@code decide_many} in {@code workflows.sql}), so a pass
 * that starts a 1,000-wide fan-out makes one insert for its decisions, not 1,000.
 */
final class DecisionLog {
    private final Connection c;
    private final WorkflowRun run;
    private final List<Decision> decisions = new ArrayList<>();

    /** One decision; {@code stepId} is null for a decision about the whole run. */
    private record Decision(String stepId, String decision, String message, String details) {}

    DecisionLog(Connection c, WorkflowRun run) {
        this.c = c;
        this.run = run;
    }

    void decide(String stepId, String decision, String message, JsonNode details) {
        decisions.add(new Decision(stepId, decision, message, details == null ? null : Json.write(details)));
    }

    void flush() throws SQLException {
        if (decisions.isEmpty()) {
            return;
        }
        try (Query q = Rows.SQL.prepare(c, "decide_many")) {
            q.set("project_id", run.projectId()).set("run_id", run.id())
                    .setArray("step_ids", "text", decisions.stream().map(Decision::stepId).toArray())
                    .setArray("decisions", "text", decisions.stream().map(Decision::decision).toArray())
                    .setArray("messages", "text", decisions.stream().map(Decision::message).toArray())
                    .setArray("details", "text", decisions.stream().map(Decision::details).toArray())
                    .update();
        }
        decisions.clear();
    }
}
