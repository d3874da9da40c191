package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
    private static final String COLUMNS = "id, project_id, name, prefix, role, created_at, last_used_at, expires_at, "
            + "revoked_at, rotated_to, created_by, read_secrets";
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
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM api_keys WHERE project_id = ? ORDER BY id DESC")) {
                ps.setObject(1, projectId);
                return all(ps, null);
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
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at = now() WHERE id = ? RETURNING "
                    + COLUMNS)) {
                ps.setObject(1, id);
                k = all(ps, null).get(0);
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
                throw ApiError.conflict("key_inactive", "a revoked or expired key cannot be rotated", Map.of("id", id));
            }
            Key fresh = insert(c, caller, old.name(), old.role(), old.expiresAt(), old.readSecrets());
            Key updated;
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE api_keys SET rotated_to = ?,
                      expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => ?))
                    WHERE id = ? RETURNING""" + " " + COLUMNS)) {
                ps.setObject(1, fresh.id());
                ps.setLong(2, graceSecs);
                ps.setObject(3, id);
                updated = all(ps, null).get(0);
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
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role, expires_at, created_by, read_secrets)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING""" + " " + COLUMNS)) {
            ps.setObject(1, UuidV7.next());
            ps.setObject(2, caller.projectId());
            ps.setString(3, name);
            ps.setString(4, plaintext.substring(0, 8));
            ps.setBytes(5, keys.hash(plaintext));
            ps.setString(6, role.db());
            ps.setTimestamp(7, expiresAt == null ? null : Timestamp.from(expiresAt));
            ps.setObject(8, caller.userId());
            ps.setBoolean(9, readSecrets);
            return all(ps, plaintext).get(0);
        }
    }

    private Key find(Connection c, UUID projectId, UUID id, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM api_keys WHERE project_id = ? AND id = ?"
                + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setObject(1, projectId);
            ps.setObject(2, id);
            List<Key> all = all(ps, null);
            if (all.isEmpty()) {
                throw ApiError.notFound("api key", id.toString());
            }
            return all.get(0);
        }
    }

    private static void requireWithin(Principal caller, Role role, String verb) {
        if (!caller.role().atLeast(role)) {
            throw ApiError.forbidden("your role (" + caller.role().db() + ") cannot " + verb + " a key with role " + role.db());
        }
    }

    private static List<Key> all(PreparedStatement ps, String plaintext) throws SQLException {
        List<Key> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
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
