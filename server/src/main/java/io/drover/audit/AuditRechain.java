package io.drover.audit;

import io.drover.store.Db;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the rows written before V8 (one global chain, {@code chain_seq} null) their place in their
 * project's chain, once, when a server starts: the HMAC key is the server's, so SQL cannot do it.
 * In one transaction, under the old chain's advisory lock (so two nodes starting together do it
 * once, and a node still on the old version waits and is then refused by the CHECK of V8).
 *
 * <p>Each old row is first checked as the old verify did (its link to the row before it in the
 * global chain, and its HMAC). A row that passes gets its place, its new prev_row_hmac and a new
 * HMAC; a row that fails keeps its old row_hmac, which can never match the new form, so the
 * project's verify names it: re-chaining does not launder a break that was already there.
 */
public final class AuditRechain {
    private static final Logger log = LoggerFactory.getLogger(AuditRechain.class);

    private AuditRechain() {}

    /** Re-chains the old rows, if any; returns how many. */
    public static long run(Db db, AuditLog audit) {
        return db.tx(c -> {
            try (Query q = AuditLog.SQL.prepare(c, "rechain_lock")) {
                q.set("key", AuditLog.LOCK_KEY).execute();
            }
            try (Query q = AuditLog.SQL.prepare(c, "any_unchained"); ResultSet rs = q.query()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return 0L;
                }
            }
            return rechain(c, audit);
        });
    }

    private static long rechain(Connection c, AuditLog audit) throws SQLException {
        Map<UUID, AuditHead> heads = new HashMap<>();
        long n = 0;
        long failed = 0;
        UUID firstFailed = null;
        String globalPrev = null;
        try (Query read = AuditLog.SQL.prepare(c, "unchained_rows");
                Query write = AuditLog.SQL.prepare(c, "place_row")) {
            read.jdbc().setFetchSize(1000);
            try (ResultSet rs = read.query()) {
                while (rs.next()) {
                    AuditEvent old = new AuditEvent(rs.getLong(1), 0, rs.getObject(2, UUID.class),
                            rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getString(4),
                            rs.getObject(5, UUID.class), rs.getObject(6, UUID.class), rs.getString(7), rs.getString(8),
                            rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12));
                    boolean intact = Objects.equals(globalPrev, old.prevRowHmac())
                            && audit.legacyHmac(old.prevRowHmac(), old).equals(old.rowHmac());
                    globalPrev = old.rowHmac();
                    UUID chain = AuditLog.chainOf(old.projectId());
                    AuditHead head = heads.get(chain);
                    if (head == null) {
                        head = AuditLog.readHead(c, chain, true);
                        if (head == null) {
                            head = audit.sign(new AuditHead(chain, 1, null, 0, null, null));
                        }
                    }
                    long place = head.lastSeq() + 1;
                    String prev = head.lastHmac();
                    AuditEvent placed = new AuditEvent(old.seq(), place, old.id(), old.ts(), old.actorType(),
                            old.actorId(), old.projectId(), old.action(), old.targetType(), old.targetId(),
                            old.detailsText(), prev, null);
                    String hmac = intact ? audit.hmac(prev, placed) : old.rowHmac();
                    if (!intact) {
                        failed++;
                        firstFailed = firstFailed == null ? old.id() : firstFailed;
                    }
                    boolean signed = audit.signedBy(head);
                    AuditHead next = head.next(place, hmac);
                    heads.put(chain, signed ? audit.sign(next) : next.withSignature(AuditLog.UNVERIFIED));
                    write.set("chain_seq", place).set("prev_row_hmac", prev, Types.VARCHAR).set("row_hmac", hmac)
                            .set("id", old.id());
                    write.jdbc().addBatch();
                    if (++n % 500 == 0) {
                        write.jdbc().executeBatch();
                    }
                }
            }
            write.jdbc().executeBatch();
        }
        for (AuditHead h : heads.values()) {
            AuditLog.saveHead(c, h);
        }
        if (failed == 0) {
            log.info("audit: {} rows of the old global chain (intact) re-chained into {} per-project chains", n,
                    heads.size());
        } else {
            log.warn("audit: {} rows of the old global chain re-chained into {} per-project chains; {} of them failed "
                    + "the old chain's check (first: {}) and keep an HMAC that their project's verify reports", n,
                    heads.size(), failed, firstFailed);
        }
        return n;
    }
}
