package io.drover.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Actor;
import io.drover.access.AuditContext;
import io.drover.crypto.Keys;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends to the tamper-evident audit log, always on the caller's connection so that the row
 * commits with the change it records or not at all. Each project has its own chain (account events
 * without a project share one more, {@link #ACCOUNT_CHAIN}): a row's {@code chain_seq} is its place
 * in it (1, 2, ... without gaps) and its {@code row_hmac} is HMAC-SHA256(audit key, prev_row_hmac +
 * "\n" + canonical row), prev_row_hmac being the HMAC of the row before it in the same chain. The
 * append locks the chain's head row ({@code audit_heads}, FOR UPDATE), so appends to one project
 * are serialized across threads and nodes and appends to different projects never wait for each
 * other. The head holds the chain's last place and HMAC, signed under a second derived key: verify
 * compares the newest row with it, so removing rows at the end is found too. Details are redacted
 * by the project's rules first.
 *
 * <p>Call it as the last step of a transaction: the head's lock is held until commit, and a
 * transaction that took it and then waited for a row lock could deadlock with another waiting for it.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    static final Sql SQL = Sql.load("/sql/audit.sql");
    /** pg_advisory_xact_lock key of the old global chain; now only taken to re-chain its rows once. */
    static final long LOCK_KEY = 0x6472_6f76_6175_6469L;
    /** The chain of rows without a project (sign-ins, failed sign-ins, password resets). */
    public static final UUID ACCOUNT_CHAIN = new UUID(0, 0);
    /** What a head that failed its signature check keeps as its signature: the break is never papered over. */
    static final String UNVERIFIED = "unverified";

    private final byte[] key;
    private final byte[] headKey;
    private final Redactions redactions;

    public AuditLog(Keys keys, Redactions redactions) {
        this.key = keys.derive("drover audit log v1");
        this.headKey = keys.derive("drover audit head v1");
        this.redactions = redactions;
    }

    /** The chain a row of this project belongs to. */
    public static UUID chainOf(UUID projectId) {
        return projectId == null ? ACCOUNT_CHAIN : projectId;
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
        AuditHead head = lockHead(c, chainOf(projectId));
        String detailsText;
        OffsetDateTime ts;
        // After the lock: the time and the normalized details text are those the row will hold.
        try (Query q = SQL.prepare(c, "normalize_details")) {
            q.set("details", Json.write(safe));
            try (ResultSet rs = q.query()) {
                rs.next();
                detailsText = rs.getString(1);
                ts = rs.getObject(2, OffsetDateTime.class);
            }
        }
        UUID id = UuidV7.next();
        String prev = head.lastHmac();
        AuditEvent row = new AuditEvent(0, head.lastSeq() + 1, id, ts.toInstant(), actor.type(), actor.id(), projectId,
                action, targetType, targetId == null ? null : targetId.toString(), detailsText, prev, null);
        String hmac = hmac(prev, row);
        try (Query q = SQL.prepare(c, "insert_audit_row")) {
            q.set("id", id).set("ts", ts.withOffsetSameInstant(ZoneOffset.UTC)).set("actor_type", actor.type())
                    .set("actor_id", actor.id()).set("project_id", projectId).set("action", action)
                    .set("target_type", targetType).set("target_id", row.targetId()).set("details", detailsText)
                    .set("prev_row_hmac", prev).set("row_hmac", hmac).set("chain_seq", row.chainSeq()).update();
        }
        // A head whose signature fails (someone rewrote it) stays unverifiable: re-signing it here
        // would turn rows removed at the end into a chain that verifies.
        AuditHead next = head.next(row.chainSeq(), hmac);
        if (signedBy(head)) {
            next = sign(next);
        } else {
            log.warn("audit head of chain {} fails its signature check; appending without re-signing it", head.chain());
            next = next.withSignature(UNVERIFIED);
        }
        saveHead(c, next);
        return id;
    }

    /**
     * Locks the chain's head, making it if the chain has none yet. A chain that has rows but no
     * head lost it to someone outside Drover: it goes on from its newest row, unverifiable.
     */
    private AuditHead lockHead(Connection c, UUID chain) throws SQLException {
        AuditHead head = readHead(c, chain, true);
        if (head != null) {
            return head;
        }
        AuditHead fresh = sign(new AuditHead(chain, 1, null, 0, null, null));
        try (Query q = SQL.prepare(c, "newest_chain_row")) {
            q.set("chain", chain);
            try (ResultSet rs = q.query()) {
                if (rs.next()) {
                    fresh = new AuditHead(chain, 1, null, rs.getLong(1), rs.getString(2), UNVERIFIED);
                }
            }
        }
        try (Query q = SQL.prepare(c, "insert_audit_head")) {
            bindHead(q, fresh).update();
        }
        return readHead(c, chain, true);
    }

    /** The chain's head as stored, or null; {@code lock} takes it FOR UPDATE. */
    static AuditHead readHead(Connection c, UUID chain, boolean lock) throws SQLException {
        try (Query q = SQL.prepare(c, lock ? "audit_head_for_update" : "audit_head")) {
            q.set("chain", chain);
            try (ResultSet rs = q.query()) {
                return rs.next() ? new AuditHead(chain, rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                        rs.getString(5)) : null;
            }
        }
    }

    /** Inserts or replaces a chain's head. */
    static void saveHead(Connection c, AuditHead h) throws SQLException {
        try (Query q = SQL.prepare(c, "save_audit_head")) {
            bindHead(q, h).update();
        }
    }

    private static Query bindHead(Query q, AuditHead h) throws SQLException {
        return q.set("chain", h.chain()).set("first_seq", h.firstSeq()).set("first_prev", h.firstPrev())
                .set("last_seq", h.lastSeq()).set("last_hmac", h.lastHmac()).set("signature", h.signature());
    }

    /** The head with its signature. */
    AuditHead sign(AuditHead h) {
        return h.withSignature(HexFormat.of().formatHex(
                Keys.hmac(headKey, h.canonical().getBytes(StandardCharsets.UTF_8))));
    }

    /** Whether the head carries the signature of its own fields. */
    boolean signedBy(AuditHead h) {
        return h.signature() != null && Keys.constantTimeEquals(
                sign(h).signature().getBytes(StandardCharsets.US_ASCII),
                h.signature().getBytes(StandardCharsets.US_ASCII));
    }

    /** The HMAC a row must carry, given the previous row's HMAC (null for the first row). */
    public String hmac(String prev, AuditEvent row) {
        return hmac(prev, row.canonical());
    }

    /** The HMAC a row carried in the one global chain of V7 and before. */
    String legacyHmac(String prev, AuditEvent row) {
        return hmac(prev, row.canonicalV1());
    }

    private String hmac(String prev, String canonical) {
        String input = (prev == null ? "" : prev) + "\n" + canonical;
        return HexFormat.of().formatHex(Keys.hmac(key, input.getBytes(StandardCharsets.UTF_8)));
    }
}
