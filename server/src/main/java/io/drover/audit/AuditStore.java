package io.drover.audit;

import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Statement;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** Reads the audit log: filtered pages, JSON-lines export, and verification of a project's chain. */
public final class AuditStore {
    /** The list and export statements with each set of filters, by name and filter text (at most 2 x 64). */
    private static final Map<String, Statement> FILTERED = new ConcurrentHashMap<>();
    private final Db db;
    private final AuditLog log;

    public AuditStore(Db db, AuditLog log) {
        this.db = db;
        this.log = log;
    }

    /** Filters of a list or export; null fields do not filter. */
    public record Filter(UUID projectId, String action, String actorId, String targetType, String targetId,
            Instant since, Instant until) {}

    /**
     * What verify found. {@code firstBadId} is the first row that fails (null when the break is at
     * the end, or in the head); {@code problem} says what failed: {@code row_changed} (the row's
     * HMAC does not match it: edited, or inserted), {@code link_broken} (the row does not follow the
     * one before it: a row before it was removed or inserted), {@code rows_missing_at_end} (the
     * newest row is not the one the signed head names: rows at the end were removed, or rows were
     * added after it), {@code head_changed} (the head's signature fails), {@code head_missing}.
     * {@code firstSeq}/{@code headSeq} are the chain places the head anchors (0 without a head).
     */
    public record Verification(boolean ok, long rowsChecked, UUID firstBadId, String problem, long firstSeq,
            long headSeq) {}

    /** Newest first, {@code limit + 1} rows below {@code beforeSeq} (0: from the newest). */
    public List<AuditEvent> list(Filter f, long beforeSeq, int limit) {
        return db.read(c -> {
            try (Query q = filtered("list_audit", f, beforeSeq > 0 ? " AND seq < :before_seq" : "").prepare(c)) {
                bind(q, f);
                if (beforeSeq > 0) {
                    q.set("before_seq", beforeSeq);
                }
                q.set("limit", limit + 1);
                List<AuditEvent> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(map(rs));
                    }
                }
                return out;
            }
        });
    }

    /** Writes matching rows oldest first, one JSON object per line, streaming from a cursor. */
    public long export(Filter f, OutputStream out) {
        return db.tx(c -> {
            try (Query q = filtered("export_audit", f, "").prepare(c)) {
                q.jdbc().setFetchSize(500);
                bind(q, f);
                long n = 0;
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.write(map(rs).toJson().toString().getBytes(StandardCharsets.UTF_8));
                        out.write('\n');
                        n++;
                    }
                } catch (IOException e) {
                    throw new SQLException("export interrupted: " + e.getMessage(), e);
                }
                return n;
            }
        });
    }

    /**
     * Walks the project's chain in order, between the anchors of its signed head: the oldest row
     * must sit at the head's first place and carry its first prev HMAC, each row must link to the
     * row before it (its place one higher, its prev_row_hmac that row's HMAC) and carry the HMAC of
     * its own canonical form, and the newest row must be the one the head names. One snapshot
     * (REPEATABLE READ) for head and rows, so appends committing meanwhile are not mistaken for a
     * break. {@code projectId} null: the account chain.
     */
    public Verification verify(UUID projectId) {
        UUID chain = AuditLog.chainOf(projectId);
        return db.tx(c -> {
            try (Query q = AuditLog.SQL.prepare(c, "verify_snapshot")) {
                q.execute();
            }
            AuditHead head = AuditLog.readHead(c, chain, false);
            long expectedSeq = head == null ? 1 : head.firstSeq();
            String expectedPrev = head == null ? null : head.firstPrev();
            long n = 0;
            UUID firstBad = null;
            String problem = null;
            try (Query q = AuditLog.SQL.prepare(c, "chain_rows")) {
                q.jdbc().setFetchSize(1000);
                q.set("chain", chain);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        AuditEvent e = map(rs);
                        n++;
                        if (problem == null) {
                            if (rs.getObject(2) == null || e.chainSeq() != expectedSeq
                                    || !Objects.equals(expectedPrev, e.prevRowHmac())) {
                                problem = "link_broken";
                            } else if (!log.hmac(e.prevRowHmac(), e).equals(e.rowHmac())) {
                                problem = "row_changed";
                            } else if (head != null && e.chainSeq() > head.lastSeq()) {
                                problem = "rows_missing_at_end";
                            }
                            if (problem != null) {
                                firstBad = e.id();
                            }
                        }
                        expectedSeq = e.chainSeq() + 1;
                        expectedPrev = e.rowHmac();
                    }
                }
            }
            if (problem == null) {
                if (head == null) {
                    problem = n == 0 ? null : "head_missing";
                } else if (!log.signedBy(head)) {
                    problem = "head_changed";
                } else if (expectedSeq - 1 != head.lastSeq() || !Objects.equals(expectedPrev, head.lastHmac())) {
                    problem = "rows_missing_at_end";
                }
            }
            return new Verification(problem == null, n, firstBad, problem, head == null ? 0 : head.firstSeq(),
                    head == null ? 0 : head.lastSeq());
        });
    }

    /**
     * The statement {@code name} of audit.sql with AUDIT_FILTERS replaced by the filters asked for
     * (fixed text with named parameters, never request text) and {@code extra}.
     */
    private static Statement filtered(String name, Filter f, String extra) {
        StringBuilder where = new StringBuilder();
        if (f.action() != null) {
            where.append(" AND (action = :action OR action LIKE :action_like)");
        }
        if (f.actorId() != null) {
            where.append(" AND actor_id::text = :actor_id");
        }
        if (f.targetType() != null) {
            where.append(" AND target_type = :target_type");
        }
        if (f.targetId() != null) {
            where.append(" AND target_id = :target_id");
        }
        if (f.since() != null) {
            where.append(" AND ts >= :since");
        }
        if (f.until() != null) {
            where.append(" AND ts < :until");
        }
        String filters = where.append(extra).toString();
        return FILTERED.computeIfAbsent(name + filters,
                k -> AuditLog.SQL.statement(name).replace("AUDIT_FILTERS", filters));
    }

    private static void bind(Query q, Filter f) throws SQLException {
        q.set("project_id", f.projectId());
        if (f.action() != null) {
            q.set("action", f.action());
            // "job." matches every job action; LIKE wildcards in the filter are taken literally.
            q.set("action_like", f.action().endsWith(".")
                    ? f.action().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" : f.action());
        }
        if (f.actorId() != null) {
            q.set("actor_id", f.actorId());
        }
        if (f.targetType() != null) {
            q.set("target_type", f.targetType());
        }
        if (f.targetId() != null) {
            q.set("target_id", f.targetId());
        }
        if (f.since() != null) {
            q.set("since", f.since().atOffset(java.time.ZoneOffset.UTC));
        }
        if (f.until() != null) {
            q.set("until", f.until().atOffset(java.time.ZoneOffset.UTC));
        }
    }

    private static AuditEvent map(ResultSet rs) throws SQLException {
        return new AuditEvent(rs.getLong(1), rs.getLong(2), rs.getObject(3, UUID.class),
                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5), rs.getObject(6, UUID.class),
                rs.getObject(7, UUID.class), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11),
                rs.getString(12), rs.getString(13));
    }
}
