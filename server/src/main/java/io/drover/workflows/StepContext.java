package io.drover.workflows;

import io.drover.http.Json;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What templates and conditions of one workflow run see: its input, its id, and the status and
 * output of the steps they name, read on the pass's connection (only those steps, not all).
 */
final class StepContext {
    private final Connection c;
    private final WorkflowRun run;

    StepContext(Connection c, WorkflowRun run) {
        this.c = c;
        this.run = run;
    }

    /** The template paths a step's start reads: its payload, event key and concurrency key. */
    static Collection<String> pathsOf(StepSpec s) {
        List<String> paths = new ArrayList<>(Template.paths(s.payload()));
        if (s.eventKey() != null) {
            paths.addAll(Template.pathsIn(s.eventKey()));
        }
        if (s.concurrencyKey() != null) {
            paths.addAll(Template.pathsIn(s.concurrencyKey()));
        }
        return paths;
    }

    /** What the given template paths read, plus {@code alsoStep} (a compensation reads its own step). */
    Template.Context of(Collection<String> paths, String alsoStep) throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        for (String p : paths) {
            String s = Template.stepOf(p);
            if (s != null) {
                ids.add(s);
            }
        }
        if (alsoStep != null) {
            ids.add(alsoStep);
        }
        return new Template.Context(Json.read(run.input()), ids.isEmpty() ? Map.of() : states(ids),
                run.id().toString());
    }

    /** The named steps' states, as templates and conditions read them. */
    Map<String, Template.StepState> states(Collection<String> ids) throws SQLException {
        Map<String, Template.StepState> out = new HashMap<>();
        try (Query q = Rows.prepare(c, "step_states", p -> p.set("workflow_run_id", run.id())
                .setArray("step_ids", "text", ids.toArray(String[]::new))); ResultSet rs = q.query()) {
            while (rs.next()) {
                out.put(rs.getString(1), new Template.StepState(rs.getString(2), Json.read(rs.getString(3))));
            }
        }
        return out;
    }
}
