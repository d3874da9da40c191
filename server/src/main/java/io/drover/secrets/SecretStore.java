package io.drover.secrets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.crypto.SecretBox;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Project secrets per environment, sealed with AES-256-GCM (the row's project, environment and
 * name are the associated data, so a sealed value moved to another row does not open). Values go
 * in and, for HTTP push headers only, come out; lists and gets show metadata. Changes are audited
 * without their values.
 */
public final class SecretStore {
    public static final String DEFAULT_ENV = "default";
    private final Db db;
    private final SecretBox box;
    private final AuditLog audit;

    public SecretStore(Db db, SecretBox box, AuditLog audit) {
        this.db = db;
        this.box = box;
        this.audit = audit;
    }

    public record Meta(UUID id, String name, String environment, int keyId, Instant createdAt, Instant updatedAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("name", name);
            n.put("environment", environment);
            n.put("key_id", keyId);
            n.put("created_at", createdAt.toString());
            n.put("updated_at", updatedAt.toString());
            return n;
        }
    }

    public record Put(Meta meta, boolean created) {}

    public Put put(UUID projectId, String environment, String name, String value) {
        return db.tx(c -> {
            byte[] sealed = box.seal(value.getBytes(StandardCharsets.UTF_8), aad(projectId, environment, name));
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO secrets AS s (id, project_id, environment, name, key_id, value) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (project_id, environment, name)
                    DO UPDATE SET value = EXCLUDED.value, key_id = EXCLUDED.key_id, updated_at = now()
                    RETURNING id, name, environment, key_id, created_at, updated_at, (xmax = 0)""")) {
                ps.setObject(1, UuidV7.next());
                ps.setObject(2, projectId);
                ps.setString(3, environment);
                ps.setString(4, name);
                ps.setInt(5, SecretBox.KEY_ID);
                ps.setBytes(6, sealed);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Meta m = map(rs);
                    boolean created = rs.getBoolean(7);
                    audit.append(c, projectId, created ? "secret.create" : "secret.update", "secret", m.id(),
                            Json.object().put("name", name).put("environment", environment));
                    return new Put(m, created);
                }
            }
        });
    }

    public List<Meta> list(UUID projectId, String environment) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, environment, key_id, created_at, updated_at "
                    + "FROM secrets WHERE project_id = ? AND (?::text IS NULL OR environment = ?) ORDER BY environment, name")) {
                ps.setObject(1, projectId);
                ps.setString(2, environment);
                ps.setString(3, environment);
                List<Meta> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(map(rs));
                    }
                }
                return out;
            }
        });
    }

    public Meta get(UUID projectId, String environment, String name) {
        return list(projectId, environment).stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new NotFound("secret", name));
    }

    public void delete(UUID projectId, String environment, String name) {
        db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM secrets WHERE project_id = ? AND environment = ? AND name = ? RETURNING id")) {
                ps.setObject(1, projectId);
                ps.setString(2, environment);
                ps.setString(3, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new NotFound("secret", name);
                    }
                    audit.append(c, projectId, "secret.delete", "secret", rs.getObject(1, UUID.class),
                            Json.object().put("name", name).put("environment", environment));
                }
            }
            return null;
        });
    }

    /** Every secret of a project's environment, opened: for templating outgoing push headers only. */
    public Map<String, String> open(UUID projectId, String environment) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT name, value FROM secrets WHERE project_id = ? AND environment = ?")) {
                ps.setObject(1, projectId);
                ps.setString(2, environment);
                Map<String, String> out = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        out.put(name, new String(box.open(rs.getBytes(2), aad(projectId, environment, name)),
                                StandardCharsets.UTF_8));
                    }
                }
                return out;
            }
        });
    }

    private static byte[] aad(UUID projectId, String environment, String name) {
        return ("secret:" + projectId + ":" + environment + ":" + name).getBytes(StandardCharsets.UTF_8);
    }

    private static Meta map(ResultSet rs) throws SQLException {
        return new Meta(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getInt(4),
                rs.getTimestamp(5).toInstant(), rs.getTimestamp(6).toInstant());
    }
}
