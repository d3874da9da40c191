package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.audit.AuditLog;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Creating, listing, revoking and rotating a project's API keys, each change with its audit row in
 * the same transaction. A caller never grants more than it has: the new key's role is at most the
 * caller's, and keys above the caller's role cannot be revoked or rotated by it.
 */
public final class ApiKeyAdmin {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private final Db db;
    private final InstantSource clock;
    private final ApiKeys keys;
    private final AuditLog audit;

    public ApiKeyAdmin(Db db, ApiKeys keys, AuditLog audit, InstantSource clock) {
        this.clock = clock;
        this.db = db;
        this.keys = keys;
        this.audit = audit;
    }

    /** A key as lists show it; {@code plaintext} is set only in the answer that creates it. */
    public record Key(UUID id, UUID projectId, String name, String prefix, Role role, Instant createdAt,
            Instant lastUsedAt, Instant expiresAt, Instant revokedAt, UUID rotatedTo, UUID createdBy, boolean readSecrets,
            String plaintext) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("project_id", projectId.toString());
            n.put("name", name);
            n.put("prefix", prefix);
            n.put("role", role.db());
            n.put("created_at", str(createdAt));
            n.put("last_used_at", str(lastUsedAt));
            n.put("expires_at", str(expiresAt));
            n.put("revoked_at", str(revokedAt));
            n.put("rotated_to", rotatedTo == null ? null : rotatedTo.toString());
            n.put("created_by", createdBy == null ? null : createdBy.toString());
            n.put("read_secrets", readSecrets);
            if (plaintext != null) {
                n.put("key", plaintext); // shown once
            }
            return n;
        }

        private static String str(Instant t) {
            return t == null ? null : t.toString();
        }
    }

    public Key create(Principal caller, String name, Role role, Instant expiresAt, boolean readSecrets) {
        requireWithin(caller, role, "create");
        return db.tx(c -> {
            Key k = insert(c, caller, name, role, expiresAt, readSecrets);
            audit.append(c, caller.projectId(), "api_key.create", "api_key", k.id(), Json.object().put("name", name)
                    .put("role", role.db()).put("prefix", k.prefix()).put("read_secrets", readSecrets));
            return k;
        });
    }

    public List<Key> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_api_keys")) {
                return all(q.set("project_id", projectId), null);
            }
        });
    }

    public Key get(UUID projectId, UUID id) {
        return db.read(c -> find(c, projectId, id, false));
    }

    public Key revoke(Principal caller, UUID id) {
        Key revoked = db.tx(c -> {
            Key k = find(c, caller.projectId(), id, true);
            requireWithin(caller, k.role(), "revoke");
            if (k.revokedAt() != null) {
                return k;
            }
            try (Query q = SQL.prepare(c, "revoke_api_key")) {
                k = all(q.set("id", id), null).get(0);
            }
            audit.append(c, caller.projectId(), "api_key.revoke", "api_key", id, Json.object().put("name", k.name()));
            return k;
        });
        keys.forget();
        return revoked;
    }

    /** A new key with the same name and role; the old one keeps working for {@code graceSecs}, then expires. */
    public Rotated rotate(Principal caller, UUID id, long graceSecs) {
        Rotated r = db.tx(c -> {
            Key old = find(c, caller.projectId(), id, true);
            requireWithin(caller, old.role(), "rotate");
            if (old.revokedAt() != null || (old.expiresAt() != null && old.expiresAt().isBefore(clock.instant()))) {
                throw new Conflict("key_inactive", "a revoked or expired key cannot be rotated", Map.of("id", id));
            }
            Key fresh = insert(c, caller, old.name(), old.role(), old.expiresAt(), old.readSecrets());
            Key updated;
            try (Query q = SQL.prepare(c, "rotate_api_key")) {
                q.set("rotated_to", fresh.id()).set("grace_secs", graceSecs).set("id", id);
                updated = all(q, null).get(0);
            }
            audit.append(c, caller.projectId(), "api_key.rotate", "api_key", id, Json.object()
                    .put("new_key_id", fresh.id().toString()).put("grace_secs", graceSecs));
            return new Rotated(fresh, updated);
        });
        keys.forget();
        return r;
    }

    public record Rotated(Key fresh, Key old) {}

    private Key insert(Connection c, Principal caller, String name, Role role, Instant expiresAt, boolean readSecrets)
            throws SQLException {
        String plaintext = keys.generate();
        try (Query q = SQL.prepare(c, "insert_api_key")) {
            q.set("id", UuidV7.next()).set("project_id", caller.projectId()).set("name", name)
                    .set("prefix", plaintext.substring(0, 8)).set("key_hash", keys.hash(plaintext))
                    .set("role", role.db()).set("expires_at", expiresAt).set("created_by", caller.userId())
                    .set("read_secrets", readSecrets);
            return all(q, plaintext).get(0);
        }
    }

    private Key find(Connection c, UUID projectId, UUID id, boolean forUpdate) throws SQLException {
        try (Query q = SQL.prepare(c, forUpdate ? "api_key_for_update" : "api_key")) {
            q.set("project_id", projectId).set("id", id);
            List<Key> all = all(q, null);
            if (all.isEmpty()) {
                throw new NotFound("api key", id.toString());
            }
            return all.get(0);
        }
    }

    private static void requireWithin(Principal caller, Role role, String verb) {
        if (!caller.role().atLeast(role)) {
            throw new io.drover.errors.Forbidden("your role (" + caller.role().db() + ") cannot " + verb + " a key with role " + role.db());
        }
    }

    private static List<Key> all(Query q, String plaintext) throws SQLException {
        List<Key> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(new Key(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getString(4), Role.fromDb(rs.getString(5)), t(rs, 6), t(rs, 7), t(rs, 8), t(rs, 9),
                        rs.getObject(10, UUID.class), rs.getObject(11, UUID.class), rs.getBoolean(12), plaintext));
            }
        }
        return out;
    }

    private static Instant t(ResultSet rs, int i) throws SQLException {
        Timestamp ts = rs.getTimestamp(i);
        return ts == null ? null : ts.toInstant();
    }
}
