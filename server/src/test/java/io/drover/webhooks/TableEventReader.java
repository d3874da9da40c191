package io.drover.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.eventlog.Event;
import io.drover.eventlog.EventReader;
import io.drover.http.Json;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unit seam until the event log lands: an {@link EventReader} over a test table, events appended
 * by the test (each in its own committed transaction, so id order is commit order here).
 */
final class TableEventReader implements EventReader {
    private final Db db;
    private final List<Runnable> wakes = new CopyOnWriteArrayList<>();

    TableEventReader(Db db) {
        this.db = db;
        db.read(c -> {
            try (var st = c.createStatement()) {
                st.execute("""
                        CREATE TABLE IF NOT EXISTS test_events (
                            seq bigserial PRIMARY KEY, type text NOT NULL, occurred_at timestamptz NOT NULL,
                            project_id uuid NOT NULL, run_id uuid, data jsonb NOT NULL)""");
            }
            return null;
        });
    }

    /**
     * Stops the fan-out that the server runs over its own event log (when one is wired), so that
     * the test's fan-out over this table owns the one cursor. Call before any event exists.
     */
    static void takeOver(io.drover.testing.TestServer server) {
        if (server.server().webhookFanout() != null) {
            server.server().webhookFanout().stop();
        }
        // The server's fan-out may have moved the one cursor to the event log's head (it skips the log
        // while no webhook exists): this reader's ids start from the beginning.
        server.db().tx(c -> {
            try (var ps = c.prepareStatement("UPDATE webhook_fanout_cursor SET cursor = NULL WHERE singleton")) {
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Appends one event and wakes the readers; its id. */
    String append(String type, UUID projectId, UUID runId, ObjectNode data) {
        String id = db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO test_events (type, occurred_at, project_id, run_id, data)
                    VALUES (?, ?, ?, ?, CAST(? AS jsonb)) RETURNING seq""")) {
                ps.setString(1, type);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.setObject(3, projectId);
                ps.setObject(4, runId);
                ps.setString(5, Json.write(data));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return id(rs.getLong(1));
                }
            }
        });
        wakes.forEach(Runnable::run);
        return id;
    }

    static String id(long seq) {
        return String.format("ev_%019d", seq);
    }

    @Override
    public List<Event> after(Connection c, String cursor, UUID projectId, int limit) {
        long after = cursor == null ? 0 : Long.parseLong(cursor.substring(3));
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT seq, type, occurred_at, project_id, run_id, CAST(data AS text) FROM test_events
                WHERE seq > ? AND (CAST(? AS uuid) IS NULL OR project_id = CAST(? AS uuid)) ORDER BY seq LIMIT ?""")) {
            ps.setLong(1, after);
            ps.setObject(2, projectId);
            ps.setObject(3, projectId);
            ps.setInt(4, limit);
            List<Event> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Event(id(rs.getLong(1)), rs.getString(2), rs.getTimestamp(3).toInstant(),
                            rs.getObject(4, UUID.class), rs.getObject(5, UUID.class),
                            (ObjectNode) Json.read(rs.getString(6))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void onNewEvents(Runnable wake) {
        wakes.add(wake);
    }
}
