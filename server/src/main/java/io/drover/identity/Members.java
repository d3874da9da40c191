package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Project memberships: a user's role in a project. */
public final class Members {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private final Db db;

    public Members(Db db) {
        this.db = db;
    }

    public record Member(UUID userId, String email, String displayName, Role role, java.time.Instant since) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("user_id", userId.toString());
            n.put("email", email);
            n.put("display_name", displayName);
            n.put("role", role.db());
            n.put("created_at", since.toString());
            return n;
        }
    }

    public Optional<Role> role(UUID projectId, UUID userId) {
        return db.read(c -> role(c, projectId, userId));
    }

    public Optional<Role> role(Connection c, UUID projectId, UUID userId) throws SQLException {
        try (Query q = SQL.prepare(c, "member_role")) {
            q.set("project_id", projectId).set("user_id", userId);
            try (ResultSet rs = q.query()) {
                return rs.next() ? Optional.of(Role.fromDb(rs.getString(1))) : Optional.empty();
            }
        }
    }

    public List<Member> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_members")) {
                q.set("project_id", projectId);
                List<Member> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(new Member(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                                Role.fromDb(rs.getString(4)), rs.getTimestamp(5).toInstant()));
                    }
                }
                return out;
            }
        });
    }

    /** Adds a membership, or raises the role of an existing one (never lowers it). */
    public void upsert(Connection c, UUID projectId, UUID userId, Role role) throws SQLException {
        try (Query q = SQL.prepare(c, "upsert_member")) {
            q.set("project_id", projectId).set("user_id", userId).set("role", role.db()).update();
        }
    }

    public void setRole(Connection c, UUID projectId, UUID userId, Role role) throws SQLException {
        try (Query q = SQL.prepare(c, "set_member_role")) {
            q.set("role", role.db()).set("project_id", projectId).set("user_id", userId).update();
        }
    }

    public void remove(Connection c, UUID projectId, UUID userId) throws SQLException {
        try (Query q = SQL.prepare(c, "delete_member")) {
            q.set("project_id", projectId).set("user_id", userId).update();
        }
    }

    /** Owners of the project, locked, so that the last owner cannot be removed by two requests at once. */
    public int owners(Connection c, UUID projectId) throws SQLException {
        try (Query q = SQL.prepare(c, "count_owners")) {
            q.set("project_id", projectId);
            try (ResultSet rs = q.query()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
