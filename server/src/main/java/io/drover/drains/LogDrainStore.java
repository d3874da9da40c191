package io.drover.drains;

import io.drover.audit.AuditLog;
import io.drover.crypto.SecretBox;
import io.drover.errors.NotFound;
import io.drover.eventlog.EventReader;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import io.drover.webhooks.Signatures;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Log drains: made here with a Standard Webhooks secret (shown once, in {@link Created}; stored
 * sealed under the drain's id), listed, switched on and off, deleted; every change audited without
 * the secret. A new drain starts at the event log's head: it sends what happens from now on.
 */
public final class LogDrainStore {
    static final Sql SQL = Sql.load("/sql/drains.sql");

    private final Db db;
    private final SecretBox box;
    private final AuditLog audit;
    private final EventReader reader;
    private final InstantSource clock;

    public LogDrainStore(Db db, SecretBox box, AuditLog audit, EventReader reader, InstantSource clock) {
        this.db = db;
        this.box = box;
        this.audit = audit;
        this.reader = reader;
        this.clock = clock;
    }

    /** The statements, for the retention target ({@code delete_batches}). */
    public static Sql sql() {
        return SQL;
    }

    /** A new drain with its secret, the only time the secret is shown. */
    public record Created(LogDrain drain, String secret) {}

    public Created create(UUID projectId, String url, List<String> eventTypes, String format, boolean enabled) {
        UUID id = UuidV7.next();
        String secret = Signatures.newSecret();
        LogDrain d = db.tx(c -> {
            String head = reader.headCursor(c);
            LogDrain made;
            try (Query q = SQL.prepare(c, "insert_drain")) {
                q.set("id", id).set("project_id", projectId).set("url", url)
                        .setArray("event_types", "text", eventTypes.toArray()).set("format", format)
                        .set("enabled", enabled).set("secret", seal(id, secret))
                        .set("cursor", head == null ? "" : head).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    made = LogDrain.map(rs);
                }
            }
            audit.append(c, projectId, "log_drain.create", "log_drain", id, details(made));
            return made;
        });
        return new Created(d, secret);
    }

    public List<LogDrain> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_drains")) {
                q.set("project_id", projectId);
                List<LogDrain> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(LogDrain.map(rs));
                    }
                }
                return out;
            }
        });
    }

    public LogDrain get(UUID projectId, UUID id) {
        return db.read(c -> get(c, projectId, id));
    }

    private static LogDrain get(Connection c, UUID projectId, UUID id) throws SQLException {
        try (Query q = SQL.prepare(c, "get_drain")) {
            q.set("project_id", projectId).set("id", id);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("log drain", id.toString());
                }
                return LogDrain.map(rs);
            }
        }
    }

    /** Switches a drain on or off; a drain switched off keeps its place and goes on from it when on again. */
    public LogDrain setEnabled(UUID projectId, UUID id, boolean enabled) {
        return db.tx(c -> {
            LogDrain after;
            try (Query q = SQL.prepare(c, "set_enabled")) {
                q.set("project_id", projectId).set("id", id).set("enabled", enabled).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("log drain", id.toString());
                    }
                    after = LogDrain.map(rs);
                }
            }
            audit.append(c, projectId, "log_drain.update", "log_drain", id, details(after));
            return after;
        });
    }

    public void delete(UUID projectId, UUID id) {
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "delete_drain")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("log drain", id.toString());
                    }
                    audit.append(c, projectId, "log_drain.delete", "log_drain", id,
                            Json.object().put("url", rs.getString(2)));
                }
            }
            return null;
        });
    }

    /** A page of a drain's finished batches, newest first ({@code limit + 1} rows: the last says more exist). */
    public List<LogDrain.Batch> batches(UUID projectId, UUID drainId, String status, UUID cursor, int limit) {
        return db.read(c -> {
            get(c, projectId, drainId); // 404 for another project's drain or none
            try (Query q = SQL.prepare(c, "list_batches")) {
                q.set("project_id", projectId).set("drain_id", drainId).set("status", status)
                        .set("cursor", cursor).set("limit", limit + 1);
                List<LogDrain.Batch> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(LogDrain.Batch.map(rs));
                    }
                }
                return out;
            }
        });
    }

    /** Opens a drain's sealed secret (for signing only; never logged). */
    String open(UUID id, byte[] sealed) {
        return new String(box.open(sealed, aad(id)), StandardCharsets.UTF_8);
    }

    private byte[] seal(UUID id, String secret) {
        return box.seal(secret.getBytes(StandardCharsets.UTF_8), aad(id));
    }

    private static byte[] aad(UUID id) {
        return ("log_drain:" + id).getBytes(StandardCharsets.UTF_8);
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode details(LogDrain d) {
        var n = Json.object().put("url", d.url()).put("enabled", d.enabled()).put("format", d.format());
        var types = n.putArray("event_types");
        d.eventTypes().forEach(types::add);
        return n;
    }
}
