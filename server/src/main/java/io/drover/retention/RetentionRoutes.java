package io.drover.retention;

import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.access.Role;
import io.drover.store.Db;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code POST /v1/maintenance/retention}: one retention pass now for the caller's project (owner). */
public final class RetentionRoutes {
    private final RetentionPass pass;
    private final Db db;
    private final AuditLog audit;

    public RetentionRoutes(RetentionPass pass, Db db, AuditLog audit) {
        this.pass = pass;
        this.db = db;
        this.audit = audit;
    }

    public List<Route> routes() {
        return List.of(post("/v1/maintenance/retention", Role.OWNER,
                "Run one retention pass now for the project (retention_days, audit_retention_days): "
                        + "{deleted: {runs, run_events, ...}}", this::run));
    }

    private Reply run(Call c) {
        Input.body(c.body(), true).allowOnly(Set.of()); // no parameters: an empty body or {}
        Map<String, Long> deleted = pass.runProject(c.projectId());
        ObjectNode counts = Json.object();
        deleted.forEach(counts::put);
        db.tx(tx -> audit.append(tx, c.projectId(), "retention.run", "project", c.projectId(),
                Json.object().set("deleted", counts.deepCopy())));
        ObjectNode out = Json.object();
        out.set("deleted", counts);
        return Reply.ok(out);
    }
}
