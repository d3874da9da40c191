package io.drover.secrets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.crypto.SecretBox;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
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
    private static final Sql SQL = Sql.load("/sql/secrets.sql");
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
            try (Query q = SQL.prepare(c, "put_secret")) {
                q.set("id", UuidV7.next()).set("project_id", projectId).set("environment", environment)
                        .set("name", name).set("key_id", SecretBox.KEY_ID).set("value", sealed);
                try (ResultSet rs = q.query()) {
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
            try (Query q = SQL.prepare(c, "list_secrets")) {
                q.set("project_id", projectId).set("environment", environment, Types.VARCHAR);
                List<Meta> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
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
            try (Query q = SQL.prepare(c, "delete_secret")) {
                q.set("project_id", projectId).set("environment", environment).set("name", name);
                try (ResultSet rs = q.query()) {
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
            try (Query q = SQL.prepare(c, "sealed_secrets")) {
                q.set("project_id", projectId).set("environment", environment);
                Map<String, String> out = new HashMap<>();
                try (ResultSet rs = q.query()) {
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
