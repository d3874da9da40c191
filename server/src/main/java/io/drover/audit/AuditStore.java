package io.drover.audit;

import io.drover.store.Db;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads the audit log: filtered pages, JSON-lines export, and verification of the whole chain. */
public final class AuditStore {
    private static final String COLUMNS = "seq, id, ts, actor_type, actor_id, project_id, action, target_type, "
            + "target_id, details::text, prev_row_hmac, row_hmac";
    private final Db db;
    private final AuditLog log;

    public AuditStore(Db db, AuditLog log) {
        this.db = db;
        this.log = log;
    }

    /** Filters of a list or export; null fields do not filter. */
    public record Filter(UUID projectId, String action, String actorId, String targetType, String targetId,
            Instant since, Instant until) {}

    public record Verification(boolean ok, long rowsChecked, UUID firstBadId) {}

    /** Newest first, {@code limit + 1} rows below {@code beforeSeq} (0: from the newest). */
    public List<AuditEvent> list(Filter f, long beforeSeq, int limit) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(query(f, beforeSeq > 0 ? "AND seq < ?" : "")
                    + " ORDER BY seq DESC LIMIT ?")) {
                int i = bind(ps, f);
                if (beforeSeq > 0) {
                    ps.setLong(i++, beforeSeq);
                }
                ps.setInt(i, limit + 1);
                List<AuditEvent> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
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
            try (PreparedStatement ps = c.prepareStatement(query(f, "") + " ORDER BY seq")) {
                ps.setFetchSize(500);
                bind(ps, f);
                long n = 0;
                try (ResultSet rs = ps.executeQuery()) {
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
     * Walks the whole chain in order: each row must link to the previous row's HMAC and carry the
     * HMAC of its own canonical form. The first row that fails either check is reported.
     */
    public Verification verify() {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM audit_log ORDER BY seq")) {
                ps.setFetchSize(1000);
                long n = 0;
                String expectedPrev = null;
                UUID firstBad = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        AuditEvent e = map(rs);
                        n++;
                        boolean linked = java.util.Objects.equals(expectedPrev, e.prevRowHmac());
                        boolean intact = log.hmac(e.prevRowHmac(), e).equals(e.rowHmac());
                        if (firstBad == null && !(linked && intact)) {
                            firstBad = e.id();
                        }
                        expectedPrev = e.rowHmac();
                    }
                }
                return new Verification(firstBad == null, n, firstBad);
            }
        });
    }

    private static String query(Filter f, String extra) {
        // A project's rows, and the account rows (logins, resets) of users who are its members.
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_log WHERE (project_id = ? OR "
                + "(project_id IS NULL AND target_type = 'user' AND target_id IN "
                + "(SELECT user_id::text FROM memberships WHERE project_id = ?)))");
        if (f.action() != null) {
            sql.append(" AND (action = ? OR action LIKE ?)");
        }
        if (f.actorId() != null) {
            sql.append(" AND actor_id::text = ?");
        }
        if (f.targetType() != null) {
            sql.append(" AND target_type = ?");
        }
        if (f.targetId() != null) {
            sql.append(" AND target_id = ?");
        }
        if (f.since() != null) {
            sql.append(" AND ts >= ?");
        }
        if (f.until() != null) {
            sql.append(" AND ts < ?");
        }
        return sql.append(' ').append(extra).toString();
    }

    private static int bind(PreparedStatement ps, Filter f) throws SQLException {
        int i = 1;
        ps.setObject(i++, f.projectId());
        ps.setObject(i++, f.projectId());
        if (f.action() != null) {
            ps.setString(i++, f.action());
            // "job." matches every job action; LIKE wildcards in the filter are taken literally.
            ps.setString(i++, f.action().endsWith(".")
                    ? f.action().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" : f.action());
        }
        if (f.actorId() != null) {
            ps.setString(i++, f.actorId());
        }
        if (f.targetType() != null) {
            ps.setString(i++, f.targetType());
        }
        if (f.targetId() != null) {
            ps.setString(i++, f.targetId());
        }
        if (f.since() != null) {
            ps.setObject(i++, f.since().atOffset(java.time.ZoneOffset.UTC));
        }
        if (f.until() != null) {
            ps.setObject(i++, f.until().atOffset(java.time.ZoneOffset.UTC));
        }
        return i;
    }

    private static AuditEvent map(ResultSet rs) throws SQLException {
        return new AuditEvent(rs.getLong(1), rs.getObject(2, UUID.class), rs.getObject(3, OffsetDateTime.class).toInstant(),
                rs.getString(4), rs.getObject(5, UUID.class), rs.getObject(6, UUID.class), rs.getString(7),
                rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12));
    }
}
