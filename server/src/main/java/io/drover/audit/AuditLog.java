package io.drover.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.Keys;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Appends to the tamper-evident audit log, always on the caller's connection so that the row
 * commits with the change it records or not at all. Each row's {@code row_hmac} is
 * HMAC-SHA256(audit key, prev_row_hmac + "\n" + canonical row). A transaction-scoped advisory
 * lock serializes appends across threads and nodes: the previous row read under the lock is the
 * last committed one, so the chain never forks. Details are redacted by the project's rules first.
 *
 * <p>Call it as the last step of a transaction: the lock is held until commit, and a transaction
 * that took it and then waited for a row lock could deadlock with another waiting for the lock.
 */
public final class AuditLog {
    /** pg_advisory_xact_lock key for appends ("drover audit" in ASCII-ish hex). */
    static final long LOCK_KEY = 0x6472_6f76_6175_6469L;

    private final byte[] key;
    private final Redactions redactions;

    public AuditLog(Keys keys, Redactions redactions) {
        this.key = keys.derive("drover audit log v1");
        this.redactions = redactions;
    }

    /** Appends a row for the current request's actor ({@link AuditContext}). */
    public UUID append(Connection c, UUID projectId, String action, String targetType, Object targetId,
            JsonNode details) throws SQLException {
        return append(c, AuditContext.current(), projectId, action, targetType, targetId, details);
    }

    public UUID append(Connection c, Actor actor, UUID projectId, String action, String targetType, Object targetId,
            JsonNode details) throws SQLException {
        JsonNode safe = redactions.forProject(c, projectId).redact(details == null ? Json.object() : details);
        if (actor.ip() != null && safe.isObject()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) safe).put("ip", actor.ip());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            ps.setLong(1, LOCK_KEY);
            ps.execute();
        }
        String detailsText;
        OffsetDateTime ts;
        String prev;
        // After the lock: the newest committed row is the chain's head, and the time and the
        // normalized details text are those the row will hold.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT ?::jsonb::text, clock_timestamp(),
                       (SELECT row_hmac FROM audit_log ORDER BY seq DESC LIMIT 1)""")) {
            ps.setString(1, Json.write(safe));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                detailsText = rs.getString(1);
                ts = rs.getObject(2, OffsetDateTime.class);
                prev = rs.getString(3);
            }
        }
        UUID id = UuidV7.next();
        AuditEvent row = new AuditEvent(0, id, ts.toInstant(), actor.type(), actor.id(), projectId, action,
                targetType, targetId == null ? null : targetId.toString(), detailsText, prev, null);
        String hmac = hmac(prev, row);
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO audit_log (id, ts, actor_type, actor_id, project_id, action, target_type, target_id,
                                       details, prev_row_hmac, row_hmac)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)""")) {
            ps.setObject(1, id);
            ps.setObject(2, ts.withOffsetSameInstant(ZoneOffset.UTC));
            ps.setString(3, actor.type());
            ps.setObject(4, actor.id());
            ps.setObject(5, projectId);
            ps.setString(6, action);
            ps.setString(7, targetType);
            ps.setString(8, row.targetId());
            ps.setString(9, detailsText);
            ps.setString(10, prev);
            ps.setString(11, hmac);
            ps.executeUpdate();
        }
        return id;
    }

    /** The HMAC a row must carry, given the previous row's HMAC (null for the first row). */
    public String hmac(String prev, AuditEvent row) {
        String input = (prev == null ? "" : prev) + "\n" + row.canonical();
        return HexFormat.of().formatHex(Keys.hmac(key, input.getBytes(StandardCharsets.UTF_8)));
    }
}
