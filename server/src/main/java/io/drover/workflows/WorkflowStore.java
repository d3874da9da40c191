package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.Conflict;
import io.drover.errors.Invalid;
import io.drover.errors.Malformed;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.jobs.JobStore;
import io.drover.store.Db;
import io.drover.store.DbException;
import io.drover.store.Query;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Workflow definitions and their immutable versions. Every create or change writes a new version;
 * the parsed graph of a version is cached forever, so the engine reads it without a query.
 */
public final class WorkflowStore {
    private final Db db;
    private final JobStore jobs;
    private final Map<String, Graph> graphs = new ConcurrentHashMap<>();

    public WorkflowStore(Db db, JobStore jobs) {
        this.db = db;
        this.jobs = jobs;
    }

    private volatile io.drover.audit.AuditLog audit;

    /** Definition changes append their audit row in the same transaction. */
    public void setAudit(io.drover.audit.AuditLog audit) {
        this.audit = audit;
    }

    /** Appends an audit row about a workflow (last in the transaction: it locks the project's audit head). */
    void audit(Connection c, UUID projectId, String action, String targetType, UUID targetId, JsonNode details)
            throws SQLException {
        if (audit != null) {
            audit.append(c, projectId, action, targetType, targetId, details);
        }
    }

    public Workflow create(UUID projectId, WorkflowSpec spec) {
        checkReferences(projectId, spec);
        UUID id = UuidV7.next();
        try {
            return db.tx(c -> {
                Rows.update(c, "insert_workflow", q -> q.set("id", id).set("project_id", projectId)
                        .set("slug", spec.slug()));
                insertVersion(c, id, projectId, 1, spec);
                audit(c, projectId, "workflow.create", "workflow", id, Json.object().put("slug", spec.slug())
                        .put("version", 1));
                return find(c, projectId, id.toString()).orElseThrow();
            });
        } catch (DbException e) {
            if (e.isUniqueViolation()) {
                throw new Conflict("slug_taken", "a workflow with slug '" + spec.slug() + "' already exists",
                        Map.of("field", "slug"));
            }
            throw e;
        }
    }

    /** Applies a change (fields of the body replace the current ones) as a new version. */
    public Workflow update(UUID projectId, String idOrSlug, JsonNode patch) {
        Workflow current = get(projectId, idOrSlug);
        if (patch == null || !patch.isObject()) {
            throw new Malformed("invalid_body", "request body must be a JSON object", Map.of());
        }
        ObjectNode merged = current.spec().toJson();
        merged.setAll((ObjectNode) patch);
        if (!merged.get("slug").asText().equals(current.spec().slug())) {
            throw new Invalid("slug", "the slug of a workflow cannot change");
        }
        WorkflowSpec spec = WorkflowSpec.parse(merged);
        checkReferences(projectId, spec);
        return db.tx(c -> {
            int version;
            try (Query q = Rows.prepare(c, "bump_workflow_version", p -> p.set("id", current.id()))) {
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("workflow", idOrSlug);
                    }
                    version = rs.getInt(1);
                }
            }
            insertVersion(c, current.id(), projectId, version, spec);
            ObjectNode details = Json.object().put("slug", spec.slug()).put("version", version);
            patch.fieldNames().forEachRemaining(details.putArray("fields")::add);
            audit(c, projectId, "workflow.update", "workflow", current.id(), details);
            return find(c, projectId, current.id().toString()).orElseThrow();
        });
    }

    public Workflow delete(UUID projectId, String idOrSlug) {
        Workflow current = get(projectId, idOrSlug);
        db.tx(c -> {
            Rows.update(c, "delete_workflow", q -> q.set("id", current.id()));
            audit(c, projectId, "workflow.delete", "workflow", current.id(), Json.object()
                    .put("slug", current.spec().slug()).put("version", current.version()));
            return null;
        });
        return current;
    }

    private void insertVersion(Connection c, UUID id, UUID projectId, int version, WorkflowSpec spec)
            throws SQLException {
        Rows.update(c, "insert_workflow_version", q -> q.set("workflow_id", id).set("version", version)
                .set("project_id", projectId).set("spec", Json.write(spec.toJson())));
    }

    /** Jobs named by job steps and compensations must exist; sub-workflows must exist (or be this one). */
    private void checkReferences(UUID projectId, WorkflowSpec spec) {
        for (int i = 0; i < spec.steps().size(); i++) {
            StepSpec s = spec.steps().get(i);
            Set<String> names = new LinkedHashSet<>();
            if (s.job() != null) {
                names.add(s.job());
            }
            if (s.compensate() != null) {
                names.add(s.compensate().job());
            }
            for (String job : names) {
                if (jobs.find(projectId, job) == null) {
                    throw new Invalid("unknown_job", "step '" + s.id() + "' refers to unknown job '" + job + "'",
                            Map.of("field", "steps[" + i + "]." + (job.equals(s.job()) ? "job" : "compensate.job"),
                                    "step", s.id(), "unknown", job));
                }
            }
            if (s.workflow() != null && !s.workflow().equals(spec.slug()) && find(projectId, s.workflow()) == null) {
                throw new Invalid("unknown_workflow", "step '" + s.id() + "' refers to unknown workflow '"
                        + s.workflow() + "'", Map.of("field", "steps[" + i + "].workflow", "step", s.id(),
                        "unknown", s.workflow()));
            }
        }
    }

    public Workflow get(UUID projectId, String idOrSlug) {
        Workflow w = find(projectId, idOrSlug);
        if (w == null) {
            throw new NotFound("workflow", idOrSlug);
        }
        return w;
    }

    public Workflow find(UUID projectId, String idOrSlug) {
        return db.read(c -> find(c, projectId, idOrSlug)).orElse(null);
    }

    /** The current version of a live workflow. */
    public Optional<Workflow> find(Connection c, UUID projectId, String idOrSlug) throws SQLException {
        UUID id = JobStore.parseUuid(idOrSlug);
        try (Query q = Rows.prepare(c, id != null ? "workflow_by_id" : "workflow_by_slug", p -> {
            p.set("project_id", projectId);
            if (id != null) {
                p.set("id", id);
            } else {
                p.set("slug", idOrSlug);
            }
        })) {
            List<Workflow> all = all(q);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }
    }

    public Page<Workflow> list(UUID projectId, UUID cursor, int limit) {
        return db.read(c -> {
            try (Query q = Rows.prepare(c, "list_workflows",
                    p -> p.set("project_id", projectId).set("cursor", cursor).set("limit", limit + 1))) {
                return Page.of(all(q), limit, Workflow::id);
            }
        });
    }

    public List<Workflow> versions(UUID projectId, String idOrSlug) {
        Workflow w = get(projectId, idOrSlug);
        return db.read(c -> {
            try (Query q = Rows.prepare(c, "workflow_versions", p -> p.set("id", w.id()))) {
                return all(q);
            }
        });
    }

    /** The checked graph of one version (immutable, so cached). */
    public Graph graph(UUID workflowId, int version) {
        Graph g = graphs.get(workflowId + "/" + version);
        return g != null ? g : db.read(c -> graph(c, workflowId, version));
    }

    /** The same, read on the caller's connection: the engine never takes a second one mid-transaction. */
    public Graph graph(Connection c, UUID workflowId, int version) throws SQLException {
        String key = workflowId + "/" + version;
        Graph g = graphs.get(key);
        if (g != null) {
            return g;
        }
        try (Query q = Rows.prepare(c, "workflow_version_spec",
                p -> p.set("workflow_id", workflowId).set("version", version))) {
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new IllegalStateException("workflow version missing: " + key);
                }
                g = Graph.of(WorkflowSpec.fromStored(Json.read(rs.getString(1))));
            }
        }
        graphs.put(key, g);
        return g;
    }

    private static List<Workflow> all(Query q) throws SQLException {
        List<Workflow> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(new Workflow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getInt(3),
                        WorkflowSpec.fromStored(Json.read(rs.getString(4))), rs.getTimestamp(5).toInstant(),
                        rs.getTimestamp(6).toInstant()));
            }
        }
        return out;
    }
}
