package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The explain log of one {@link Advance}: every scheduling decision of the pass, buffered in order
 * and written at its end with one batch ({@code decide} in {@code workflows.sql}), so a pass that
 * starts a 1,000-wide fan-out makes one round trip for its decisions, not 1,000.
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
        try (PreparedStatement ps = c.prepareStatement(Rows.SQL.get("decide"))) {
            for (Decision d : decisions) {
                ps.setObject(1, run.projectId());
                ps.setObject(2, run.id());
                ps.setString(3, d.stepId());
                ps.setString(4, d.decision());
                ps.setString(5, d.message());
                ps.setString(6, d.details());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        decisions.clear();
    }
}
