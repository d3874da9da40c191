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

/**
 * Durable event waits and sent events, in a caller's transaction. A waiter is a row in
 * {@code event_triggers}; a sent event is a row in {@code events} (the first payload for a key wins).
 */
public final class EventWaits {
    private EventWaits() {}

    /** A resolved waiter: the workflow step to continue with the event's payload. */
    public record Resolved(UUID workflowRunId, String stepId, String eventKey) {}

    public static void wait(Connection c, UUID projectId, String key, UUID workflowRunId, String stepId,
            Instant expiresAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO event_triggers (id, project_id, event_key, status, workflow_run_id, step_id, expires_at)
                VALUES (?, ?, ?, 'waiting', ?, ?, ?)""")) {
            ps.setObject(1, UuidV7.next());
            ps.setObject(2, projectId);
            ps.setString(3, key);
            ps.setObject(4, workflowRunId);
            ps.setString(5, stepId);
            ps.setTimestamp(6, expiresAt == null ? null : Timestamp.from(expiresAt));
            ps.executeUpdate();
        }
    }

    /** The payload already sent for a key (JSON text, "null" for a null payload), if any. */
    public static Optional<String> sent(Connection c, UUID projectId, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(payload::text, 'null') FROM events WHERE project_id = ? AND event_key = ?")) {
            ps.setObject(1, projectId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /**
     * Records an event for a key. Returns empty when it is new; otherwise the payload stored first
     * (the caller compares it: same payload is an idempotent repeat, another is a conflict).
     */
    public static Optional<String> record(Connection c, UUID projectId, String key, String payloadJson)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO events (project_id, event_key, payload) VALUES (?, ?, ?::jsonb)
                ON CONFLICT (project_id, event_key) DO NOTHING""")) {
            ps.setObject(1, projectId);
            ps.setString(2, key);
            ps.setString(3, payloadJson);
            if (ps.executeUpdate() == 1) {
                return Optional.empty();
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(payload::text, 'null') FROM events WHERE project_id = ? AND event_key = ? FOR UPDATE")) {
            ps.setObject(1, projectId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Optional.of(rs.getString(1));
            }
        }
    }

    /** Resolves the waiters on a key, or on every key with a prefix; returns them. */
    public static List<Resolved> resolve(Connection c, UUID projectId, String keyOrPrefix, boolean prefix,
            String payloadJson) throws SQLException {
        String match = prefix ? "event_key LIKE ? ESCAPE '\\'" : "event_key = ?";
        List<Resolved> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE event_triggers SET status = 'resolved', payload = ?::jsonb, "
                + "resolved_at = now() WHERE project_id = ? AND status = 'waiting' AND " + match
                + " RETURNING workflow_run_id, step_id, event_key")) {
            ps.setString(1, payloadJson);
            ps.setObject(2, projectId);
            ps.setString(3, prefix ? keyOrPrefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    : keyOrPrefix);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Resolved(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)));
                }
            }
        }
        return out;
    }

    /** Ends the waits of a step (timed out) or of a whole run (canceled). */
    public static void end(Connection c, UUID workflowRunId, String stepId, String status) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE event_triggers SET status = ?, resolved_at = now() "
                + "WHERE workflow_run_id = ? AND status = 'waiting' AND (?::text IS NULL OR step_id = ?)")) {
            ps.setString(1, status);
            ps.setObject(2, workflowRunId);
            ps.setString(3, stepId);
            ps.setString(4, stepId);
            ps.executeUpdate();
        }
    }
}
