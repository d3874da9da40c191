package io.drover.events;

import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
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
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO approvals (id, project_id, workflow_run_id, step_id, action, details, risk_level,
                                       continuation_event, expires_at)
                VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) RETURNING""" + " " + Approval.COLUMNS)) {
            ps.setObject(1, UuidV7.next());
            ps.setObject(2, projectId);
            ps.setObject(3, workflowRunId);
            ps.setString(4, stepId);
            ps.setString(5, action);
            ps.setString(6, detailsJson);
            ps.setString(7, riskLevel);
            ps.setString(8, continuationEvent);
            ps.setTimestamp(9, expiresAt == null ? null : Timestamp.from(expiresAt));
            return one(ps).orElseThrow();
        }
    }

    /** Resolves the pending approval of a workflow step (approved, rejected, expired, canceled). */
    public static void resolveStep(Connection c, UUID workflowRunId, String stepId, String status, String comment,
            String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE approvals SET status = ?, comment = ?, resolved_by = ?, resolved_at = now()
                WHERE workflow_run_id = ? AND status = 'pending' AND (?::text IS NULL OR step_id = ?)""")) {
            ps.setString(1, status);
            ps.setString(2, comment);
            ps.setString(3, by);
            ps.setObject(4, workflowRunId);
            ps.setString(5, stepId);
            ps.setString(6, stepId);
            ps.executeUpdate();
        }
    }

    /** Resolves a pending standalone request; empty if it is not pending (or unknown). */
    public static Optional<Approval> resolve(Connection c, UUID projectId, UUID id, String status, String comment,
            String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE approvals SET status = ?, comment = ?, resolved_by = ?, resolved_at = now()
                WHERE id = ? AND project_id = ? AND status = 'pending' AND workflow_run_id IS NULL
                RETURNING""" + " " + Approval.COLUMNS)) {
            ps.setString(1, status);
            ps.setString(2, comment);
            ps.setString(3, by);
            ps.setObject(4, id);
            ps.setObject(5, projectId);
            return one(ps);
        }
    }

    /** Standalone requests past their expiry, locked for the timer service. */
    public static List<Approval> expired(Connection c, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Approval.COLUMNS + """
                 FROM approvals WHERE status = 'pending' AND workflow_run_id IS NULL AND expires_at <= now()
                ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED""")) {
            ps.setInt(1, limit);
            return all(ps);
        }
    }

    public static Optional<Approval> get(Connection c, UUID projectId, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Approval.COLUMNS
                + " FROM approvals WHERE id = ? AND project_id = ?")) {
            ps.setObject(1, id);
            ps.setObject(2, projectId);
            return one(ps);
        }
    }

    public static List<Approval> list(Connection c, UUID projectId, String status, UUID cursor, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Approval.COLUMNS + """
                 FROM approvals WHERE project_id = ? AND (?::text IS NULL OR status = ?)
                AND (?::uuid IS NULL OR id < ?) ORDER BY id DESC LIMIT ?""")) {
            ps.setObject(1, projectId);
            ps.setString(2, status);
            ps.setString(3, status);
            ps.setObject(4, cursor);
            ps.setObject(5, cursor);
            ps.setInt(6, limit);
            return all(ps);
        }
    }

    private static Optional<Approval> one(PreparedStatement ps) throws SQLException {
        List<Approval> all = all(ps);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    private static List<Approval> all(PreparedStatement ps) throws SQLException {
        List<Approval> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(Approval.map(rs));
            }
        }
        return out;
    }
}
