package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Role;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The projects table: lookups by id or slug, creation, settings. */
public final class Projects {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
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
        String statement = (id != null ? "project_by_id" : "project_by_slug") + (forUpdate ? "_for_update" : "");
        try (Query q = SQL.prepare(c, statement)) {
            if (id != null) {
                q.set("id", id);
            } else {
                q.set("slug", idOrSlug);
            }
            List<Project> all = all(q);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }
    }

    public Project get(UUID id) {
        return find(id.toString()).orElseThrow(() -> new NotFound("project", id.toString()));
    }

    /** The projects a user is a member of, with the user's role in each, oldest membership first. */
    public List<Membership> ofUser(UUID userId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "user_projects")) {
                q.set("user_id", userId);
                List<Membership> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
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
        try (Query q = SQL.prepare(c, "insert_project")) {
            q.set("id", UuidV7.next()).set("slug", slug).set("name", name);
            return all(q).get(0);
        }
    }

    public Project update(Connection c, UUID id, String name, JsonNode settings) throws SQLException {
        try (Query q = SQL.prepare(c, "update_project")) {
            q.set("name", name, Types.VARCHAR)
                    .set("settings", settings == null ? null : Json.write(settings), Types.VARCHAR).set("id", id);
            return all(q).get(0);
        }
    }

    private static List<Project> all(Query q) throws SQLException {
        List<Project> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(new Project(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        Json.read(rs.getString(4)), rs.getTimestamp(5).toInstant()));
            }
        }
        return out;
    }
}
