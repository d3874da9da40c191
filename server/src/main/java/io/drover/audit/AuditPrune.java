package io.drover.audit;

import java.sql.Connection;
import io.drover.store.Query;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit retention: removes the oldest rows of one chain, older than a cutoff, without breaking
 * {@code verify}. In one transaction it locks the chain's head, checks the head's signature and each
 * row it is about to remove (link and HMAC, as verify does), moves the head's start anchor past them
 * ({@code first_seq} = the place after the last removed row, {@code first_prev} = that row's HMAC),
 * re-signs the head, and only then deletes the rows: V12's append-only trigger accepts a delete of
 * a row below its head's {@code first_seq} and of no other row.
 *
 * <p>Nothing is removed from a chain that does not verify as far as the prune reaches: a head whose
 * signature fails, or a removed, edited or inserted row among the old ones, stops the prune at the
 * break, so the break stays for verify to report instead of being pruned away.
 */
public final class AuditPrune {
    private static final Logger log = LoggerFactory.getLogger(AuditPrune.class);
    private final AuditLog audit;

    public AuditPrune(AuditLog audit) {
        this.audit = audit;
    }

    /**
     * Removes up to {@code batch} of the chain's oldest rows whose time is before {@code cutoff};
     * returns how many. Call it in a transaction of its own (it holds the head's lock until commit).
     */
    public int prune(Connection c, UUID chain, Instant cutoff, int batch) throws SQLException {
        AuditHead head = AuditLog.readHead(c, chain, true);
        if (head == null || head.lastSeq() < head.firstSeq()) {
            return 0;
        }
        if (!audit.signedBy(head)) {
            log.warn("audit chain {}: head fails its signature check; nothing pruned", chain);
            return 0;
        }
        long expectedSeq = head.firstSeq();
        String expectedPrev = head.firstPrev();
        long lastSeq = -1;
        String lastHmac = null;
        try (Query q = AuditLog.SQL.prepare(c, "prune_candidates")) {
            q.set("chain", chain).set("first_seq", head.firstSeq()).set("last_seq", head.lastSeq())
                    .set("batch", batch);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    AuditEvent e = new AuditEvent(rs.getLong(1), rs.getLong(2), rs.getObject(3, UUID.class),
                            rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5),
                            rs.getObject(6, UUID.class), rs.getObject(7, UUID.class), rs.getString(8),
                            rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12), rs.getString(13));
                    if (!e.ts().isBefore(cutoff)) {
                        break;
                    }
                    if (e.chainSeq() != expectedSeq || !Objects.equals(expectedPrev, e.prevRowHmac())
                            || !audit.hmac(e.prevRowHmac(), e).equals(e.rowHmac())) {
                        log.warn("audit chain {}: row {} does not verify; pruning stops before it", chain, e.id());
                        break;
                    }
                    lastSeq = e.chainSeq();
                    lastHmac = e.rowHmac();
                    expectedSeq = lastSeq + 1;
                    expectedPrev = lastHmac;
                }
            }
        }
        if (lastSeq < 0) {
            return 0;
        }
        AuditHead moved = new AuditHead(chain, lastSeq + 1, lastHmac, head.lastSeq(), head.lastHmac(), null);
        AuditLog.saveHead(c, audit.sign(moved));
        try (Query q = AuditLog.SQL.prepare(c, "prune_rows")) {
            q.set("chain", chain).set("first_seq", head.firstSeq()).set("last_seq", lastSeq);
            return q.update();
        }
    }
}
