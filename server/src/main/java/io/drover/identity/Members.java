package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.Json;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Project memberships: a user's role in a project. */
public final class Members {
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
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT role FROM memberships WHERE project_id = ? AND user_id = ? FOR UPDATE")) {
            ps.setObject(1, projectId);
            ps.setObject(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(Role.fromDb(rs.getString(1))) : Optional.empty();
            }
        }
    }

    public List<Member> list(UUID projectId) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT u.id, u.email, u.display_name, m.role, m.created_at
                    FROM memberships m JOIN users u ON u.id = m.user_id
                    WHERE m.project_id = ? ORDER BY m.created_at, u.id""")) {
                ps.setObject(1, projectId);
                List<Member> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO memberships AS m (project_id, user_id, role) VALUES (?, ?, ?)
                ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
                WHERE array_position(ARRAY['viewer','operator','admin','owner'], EXCLUDED.role)
                    > array_position(ARRAY['viewer','operator','admin','owner'], m.role)""")) {
            ps.setObject(1, projectId);
            ps.setObject(2, userId);
            ps.setString(3, role.db());
            ps.executeUpdate();
        }
    }

    public void setRole(Connection c, UUID projectId, UUID userId, Role role) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE memberships SET role = ? WHERE project_id = ? AND user_id = ?")) {
            ps.setString(1, role.db());
            ps.setObject(2, projectId);
            ps.setObject(3, userId);
            ps.executeUpdate();
        }
    }

    public void remove(Connection c, UUID projectId, UUID userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM memberships WHERE project_id = ? AND user_id = ?")) {
            ps.setObject(1, projectId);
            ps.setObject(2, userId);
            ps.executeUpdate();
        }
    }

    /** Owners of the project, locked, so that the last owner cannot be removed by two requests at once. */
    public int owners(Connection c, UUID projectId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM (SELECT 1 FROM memberships WHERE project_id = ? AND role = 'owner' FOR UPDATE) o")) {
            ps.setObject(1, projectId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
