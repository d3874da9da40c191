package io.drover.events;

import io.drover.store.Query;
import io.drover.store.Sql;
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

/**
 * Durable event waits and sent events, in a caller's transaction. A waiter is a row in
 * {@code event_triggers}; a sent event is a row in {@code events} (the first payload for a key wins).
 */
public final class EventWaits {
    static final Sql SQL = Sql.load("/sql/events.sql");

    private EventWaits() {}

    /** A resolved waiter: the workflow step to continue with the event's payload, or a plain run ({@code runId}). */
    public record Resolved(UUID workflowRunId, String stepId, String eventKey, UUID runId) {}

    /** Serialises a send of a key with a plain run's wait for it (see {@code event_key_lock}). */
    public static void lockKey(Connection c, UUID projectId, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "event_key_lock")) {
            q.set("project_id", projectId.toString(), Types.VARCHAR).set("event_key", key, Types.VARCHAR).execute();
        }
    }

    public static void wait(Connection c, UUID projectId, String key, UUID workflowRunId, String stepId,
            Instant expiresAt) throws SQLException {
        try (Query q = SQL.prepare(c, "insert_wait")) {
            q.set("id", UuidV7.next()).set("project_id", projectId).set("event_key", key)
                    .set("workflow_run_id", workflowRunId).set("step_id", stepId).set("expires_at", expiresAt).update();
        }
    }

    /** The payload already sent for a key (JSON text, "null" for a null payload), if any. */
    public static Optional<String> sent(Connection c, UUID projectId, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "sent_event")) {
            q.set("project_id", projectId).set("event_key", key);
            try (ResultSet rs = q.query()) {
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
        try (Query q = SQL.prepare(c, "insert_event")) {
            q.set("project_id", projectId).set("event_key", key).set("payload", payloadJson, Types.VARCHAR);
            if (q.update() == 1) {
                return Optional.empty();
            }
        }
        try (Query q = SQL.prepare(c, "sent_event_for_update")) {
            q.set("project_id", projectId).set("event_key", key);
            try (ResultSet rs = q.query()) {
                rs.next();
                return Optional.of(rs.getString(1));
            }
        }
    }

    /** Resolves the waiters on a key, or on every key with a prefix; returns them. */
    public static List<Resolved> resolve(Connection c, UUID projectId, String keyOrPrefix, boolean prefix,
            String payloadJson) throws SQLException {
        List<Resolved> out = new ArrayList<>();
        try (Query q = SQL.prepare(c, prefix ? "resolve_waits_by_prefix" : "resolve_waits")) {
            q.set("payload", payloadJson, Types.VARCHAR).set("project_id", projectId);
            if (prefix) {
                q.set("prefix", keyOrPrefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            } else {
                q.set("event_key", keyOrPrefix);
            }
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(new Resolved(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                            rs.getObject(4, UUID.class)));
                }
            }
        }
        return out;
    }

    /** Ends the waits of a step (timed out) or of a whole run (canceled). */
    public static void end(Connection c, UUID workflowRunId, String stepId, String status) throws SQLException {
        try (Query q = SQL.prepare(c, "settle_waits")) {
            q.set("status", status).set("workflow_run_id", workflowRunId).set("step_id", stepId, Types.VARCHAR)
                    .update();
        }
    }
}
