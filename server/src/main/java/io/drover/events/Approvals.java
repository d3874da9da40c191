package io.drover.events;

import io.drover.eventlog.EventWrites;
import io.drover.store.Query;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Approval rows, in a caller's transaction. */
public final class Approvals {
    private Approvals() {}

    public static Approval insert(Connection c, UUID projectId, UUID workflowRunId, String stepId, String action,
            String detailsJson, String riskLevel, String continuationEvent, Instant expiresAt) throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "insert_approval")) {
            q.set("id", UuidV7.next()).set("project_id", projectId).set("workflow_run_id", workflowRunId)
                    .set("step_id", stepId).set("action", action).set("details", detailsJson, Types.VARCHAR)
                    .set("risk_level", riskLevel).set("continuation_event", continuationEvent)
                    .set("expires_at", expiresAt);
            Approval a = one(q).orElseThrow();
            event(c, a, "approval.requested");
            return a;
        }
    }

    /** Resolves the pending approval of a workflow step (approved, rejected, expired, canceled). */
    public static void resolveStep(Connection c, UUID workflowRunId, String stepId, String status, String comment,
            String by) throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "settle_step_approvals")) {
            q.set("status", status).set("comment", comment, Types.VARCHAR).set("resolved_by", by, Types.VARCHAR)
                    .set("workflow_run_id", workflowRunId).set("step_id", stepId, Types.VARCHAR);
            for (Approval a : all(q)) {
                resolved(c, a);
            }
        }
    }

    /** Resolves a pending standalone request; empty if it is not pending (or unknown). */
    public static Optional<Approval> resolve(Connection c, UUID projectId, UUID id, String status, String comment,
            String by) throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "resolve_approval")) {
            q.set("status", status).set("comment", comment, Types.VARCHAR).set("resolved_by", by, Types.VARCHAR)
                    .set("id", id).set("project_id", projectId);
            Optional<Approval> a = one(q);
            if (a.isPresent()) {
                resolved(c, a.get());
            }
            return a;
        }
    }

    /** approval.approved|rejected|expired (API.md "Events"); a canceled request (its workflow run went) is none. */
    private static void resolved(Connection c, Approval a) throws SQLException {
        if (!a.status().equals("canceled")) {
            event(c, a, "approval." + a.status());
        }
    }

    private static void event(Connection c, Approval a, String type) throws SQLException {
        EventWrites.insert(c, a.projectId(), type, a.workflowRunId(), a.toJson(), null);
    }

    /** Standalone requests past their expiry, locked for the timer service. */
    public static List<Approval> expired(Connection c, int limit) throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "expired_approvals")) {
            return all(q.set("limit", limit));
        }
    }

    public static Optional<Approval> get(Connection c, UUID projectId, UUID id) throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "approval")) {
            return one(q.set("id", id).set("project_id", projectId));
        }
    }

    public static List<Approval> list(Connection c, UUID projectId, String status, UUID cursor, int limit)
            throws SQLException {
        try (Query q = EventWaits.SQL.prepare(c, "list_approvals")) {
            q.set("project_id", projectId).set("status", status, Types.VARCHAR).set("cursor", cursor)
                    .set("limit", limit);
            return all(q);
        }
    }

    private static Optional<Approval> one(Query q) throws SQLException {
        List<Approval> all = all(q);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    private static List<Approval> all(Query q) throws SQLException {
        List<Approval> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(Approval.map(rs));
            }
        }
        return out;
    }
}
