package io.drover.redact;

import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The redaction rules of each project, from its settings, cached for a few seconds. */
public final class Redactions {
    private static final Sql SQL = Sql.load("/sql/redact.sql");
    private static final long CACHE_MS = 5_000;
    private final Db db;
    private final Map<UUID, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Redactor redactor, long at) {}

    public Redactions(Db db) {
        this.db = db;
    }

    public Redactor forProject(UUID projectId) {
        if (projectId == null) {
            return Redactor.defaults();
        }
        Cached c = cache.get(projectId);
        if (c != null && System.currentTimeMillis() - c.at() < CACHE_MS) {
            return c.redactor();
        }
        return db.read(conn -> forProject(conn, projectId));
    }

    /** Reads the rules on the caller's connection (inside its transaction). */
    public Redactor forProject(Connection c, UUID projectId) throws SQLException {
        if (projectId == null) {
            return Redactor.defaults();
        }
        Redactor r = Redactor.defaults();
        try (Query q = SQL.prepare(c, "project_settings")) {
            q.set("project_id", projectId);
            try (ResultSet rs = q.query()) {
                if (rs.next()) {
                    r = Redactor.fromSettings(Json.read(rs.getString(1)).get("redaction"));
                }
            }
        }
        cache.put(projectId, new Cached(r, System.currentTimeMillis()));
        return r;
    }

    public void invalidate(UUID projectId) {
        cache.remove(projectId);
    }
}
