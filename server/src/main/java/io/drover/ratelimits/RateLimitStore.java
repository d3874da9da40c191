package io.drover.ratelimits;

import io.drover.audit.AuditLog;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The project's named rate limits (POST/GET /v1/rate-limits). Only their definitions live here:
 * the claim statements count the starts (runs.sql). There is no delete: queued runs carry their
 * keys, and a key that vanished would hold them forever; a higher limit lifts one.
 */
public final class RateLimitStore {
    private static final Sql SQL = Sql.load("/sql/ratelimits.sql");
    private final Db db;
    private final AuditLog audit;

    public RateLimitStore(Db db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    /** What an upsert did: the limit, and whether it was created (else changed). */
    public record Saved(RateLimit limit, boolean created) {}

    /** Creates the key's limit or changes it (a changed period starts a new count); audited. */
    public Saved upsert(UUID projectId, String key, int limit, long periodMs) {
        return db.tx(c -> {
            try (Query q = SQL.prepare(c, "upsert")) {
                q.set("project_id", projectId).set("key", key).set("lim", limit).set("period_ms", periodMs);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    Saved saved = new Saved(map(rs), rs.getBoolean(6));
                    audit.append(c, projectId, saved.created() ? "rate_limit.create" : "rate_limit.update",
                            "rate_limit", key, Json.object().put("limit", limit).put("period_ms", periodMs));
                    return saved;
                }
            }
        });
    }

    public List<RateLimit> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list")) {
                q.set("project_id", projectId);
                List<RateLimit> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(map(rs));
                    }
                }
                return out;
            }
        });
    }

    private static RateLimit map(ResultSet rs) throws SQLException {
        return new RateLimit(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getTimestamp(4).toInstant(),
                rs.getTimestamp(5).toInstant(), rs.getInt(7));
    }
}
