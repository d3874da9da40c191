package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Role;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The projects table: lookups by id or slug, creation, settings. */
public final class Projects {
    private static final String COLUMNS = "id, slug, name, settings::text, created_at";
    private final Db db;

    public Projects(Db db) {
        this.db = db;
    }

    /** By id or slug. */
    public Optional<Project> find(String idOrSlug) {
        return db.read(c -> find(c, idOrSlug, false));
    }

    public Optional<Project> find(Connection c, String idOrSlug, boolean forUpdate) throws SQLException {
        UUID id = io.drover.store.Ids.uuid(idOrSlug);
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM projects WHERE "
                + (id != null ? "id = ?" : "slug = ?") + (forUpdate ? " FOR UPDATE" : ""))) {
            if (id != null) {
                ps.setObject(1, id);
            } else {
                ps.setString(1, idOrSlug);
            }
            List<Project> all = all(ps);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }
    }

    public Project get(UUID id) {
        return find(id.toString()).orElseThrow(() -> new NotFound("project", id.toString()));
    }

    /** The projects a user is a member of, with the user's role in each, oldest membership first. */
    public List<Membership> ofUser(UUID userId) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT p.id, p.slug, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
                    WHERE m.user_id = ? ORDER BY m.created_at, p.id""")) {
                ps.setObject(1, userId);
                List<Membership> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Membership(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                                Role.fromDb(rs.getString(4))));
                    }
                }
                return out;
            }
        });
    }

    public record Membership(UUID projectId, String slug, String name, Role role) {}

    public Project create(Connection c, String slug, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO projects (id, slug, name) VALUES (?, ?, ?) RETURNING " + COLUMNS)) {
            ps.setObject(1, UuidV7.next());
            ps.setString(2, slug);
            ps.setString(3, name);
            return all(ps).get(0);
        }
    }

    public Project update(Connection c, UUID id, String name, JsonNode settings) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE projects SET name = coalesce(?, name), "
                + "settings = coalesce(?::jsonb, settings), updated_at = now() WHERE id = ? RETURNING " + COLUMNS)) {
            ps.setString(1, name);
            ps.setString(2, settings == null ? null : Json.write(settings));
            ps.setObject(3, id);
            return all(ps).get(0);
        }
    }

    private static List<Project> all(PreparedStatement ps) throws SQLException {
        List<Project> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Project(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        Json.read(rs.getString(4)), rs.getTimestamp(5).toInstant()));
            }
        }
        return out;
    }
}
