package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Actor;
import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.audit.AuditLog;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.mail.Mail;
import io.drover.mail.Mailer;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Invitations to a project: a single-use token, valid 72 hours, mailed to the invitee and stored
 * only as its HMAC. Accepting creates the user (with a strong password) when the email is new, and
 * the membership. Nobody invites above their own role; an owner invites owners, except into a
 * project that has no owner yet (the bootstrap admin key makes the first one).
 */
public final class Invitations {
    public static final Duration TTL = Duration.ofHours(72);
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private final Db db;
    private final InstantSource clock;
    private final Tokens tokens;
    private final Users users;
    private final Members members;
    private final Passwords passwords;
    private final Mailer mailer;
    private final AuditLog audit;

    public Invitations(Db db, Tokens tokens, Users users, Members members, Passwords passwords, Mailer mailer,
            AuditLog audit, InstantSource clock) {
        this.clock = clock;
        this.db = db;
        this.tokens = tokens;
        this.users = users;
        this.members = members;
        this.passwords = passwords;
        this.mailer = mailer;
        this.audit = audit;
    }

    public record Invitation(UUID id, UUID projectId, String email, Role role, Instant expiresAt, Instant acceptedAt,
            Instant revokedAt, Instant createdAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("project_id", projectId.toString());
            n.put("email", email);
            n.put("role", role.db());
            n.put("expires_at", expiresAt.toString());
            n.put("accepted_at", acceptedAt == null ? null : acceptedAt.toString());
            n.put("revoked_at", revokedAt == null ? null : revokedAt.toString());
            n.put("created_at", createdAt.toString());
            return n;
        }
    }

    public Invitation create(Principal caller, String email, Role role) {
        return db.tx(c -> {
            if (role == Role.OWNER) {
                if (caller.role() != Role.OWNER && members.owners(c, caller.projectId()) > 0) {
                    throw new io.drover.errors.Forbidden("only an owner can invite an owner");
                }
            } else if (!caller.role().atLeast(role)) {
                throw new io.drover.errors.Forbidden("your role (" + caller.role().db() + ") cannot invite as " + role.db());
            }
            String token = tokens.generate();
            Invitation inv;
            try (Query q = SQL.prepare(c, "insert_invitation")) {
                q.set("id", UuidV7.next()).set("project_id", caller.projectId()).set("email", email)
                        .set("role", role.db()).set("token_hash", tokens.hash(token)).set("ttl_secs", TTL.toSeconds())
                        .set("created_by", caller.userId());
                inv = all(q).get(0);
            }
            mailer.send(c, new Mail(email, "You are invited to a Drover project",
                    "You have been invited to a Drover project as " + role.db() + ".\n\n"
                    + "Accept within 72 hours: POST /v1/invitations/accept with {\"token\": \"" + token
                    + "\", \"password\": \"...\"}\n"));
            audit.append(c, caller.projectId(), "invitation.create", "invitation", inv.id(),
                    Json.object().put("email", email).put("role", role.db()));
            return inv;
        });
    }

    public List<Invitation> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_invitations")) {
                return all(q.set("project_id", projectId));
            }
        });
    }

    public Invitation revoke(Principal caller, UUID id) {
        return db.tx(c -> {
            try (Query q = SQL.prepare(c, "revoke_invitation")) {
                q.set("id", id).set("project_id", caller.projectId());
                List<Invitation> found = all(q);
                if (found.isEmpty()) {
                    throw new NotFound("invitation", id.toString());
                }
                if (!caller.role().atLeast(found.get(0).role())) {
                    throw new io.drover.errors.Forbidden("your role (" + caller.role().db() + ") cannot revoke an invitation as "
                            + found.get(0).role().db());
                }
                audit.append(c, caller.projectId(), "invitation.revoke", "invitation", id, Json.object());
                return found.get(0);
            }
        });
    }

    public record Accepted(User user, Invitation invitation) {}

    public Accepted accept(String token, String password, String displayName, String ip) {
        return db.tx(c -> {
            Invitation inv = byToken(c, token);
            Optional<User> existing = users.byEmail(c, inv.email());
            User user;
            if (existing.isPresent()) {
                user = existing.get();
            } else {
                passwords.requireStrong(password, inv.email());
                user = users.create(c, inv.email(), displayName, passwords.hash(password));
            }
            try (Query q = SQL.prepare(c, "accept_invitation")) {
                q.set("id", inv.id()).update();
            }
            members.upsert(c, inv.projectId(), user.id(), inv.role());
            audit.append(c, Actor.user(user.id(), ip), inv.projectId(), "invitation.accept", "invitation", inv.id(),
                    Json.object().put("email", inv.email()).put("role", inv.role().db())
                            .put("new_user", existing.isEmpty()));
            return new Accepted(user, inv);
        });
    }

    private Invitation byToken(Connection c, String token) throws SQLException {
        if (token == null || token.length() > 200) {
            throw invalid();
        }
        try (Query q = SQL.prepare(c, "invitation_by_token")) {
            q.set("token_hash", tokens.hash(token));
            List<Invitation> found = all(q);
            if (found.isEmpty() || found.get(0).revokedAt() != null) {
                throw invalid();
            }
            Invitation inv = found.get(0);
            if (inv.acceptedAt() != null) {
                throw new io.drover.errors.Gone("token_used", "this invitation was already accepted");
            }
            if (!inv.expiresAt().isAfter(clock.instant())) {
                throw new io.drover.errors.Gone("token_expired", "this invitation has expired; ask for a new one");
            }
            return inv;
        }
    }

    static io.drover.errors.DomainException invalid() {
        return new io.drover.errors.NotFound("invalid_token", "no such invitation token", Map.of());
    }

    private static List<Invitation> all(Query q) throws SQLException {
        List<Invitation> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(new Invitation(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                        Role.fromDb(rs.getString(4)), rs.getTimestamp(5).toInstant(), t(rs, 6), t(rs, 7),
                        rs.getTimestamp(8).toInstant()));
            }
        }
        return out;
    }

    private static Instant t(ResultSet rs, int i) throws SQLException {
        return rs.getTimestamp(i) == null ? null : rs.getTimestamp(i).toInstant();
    }
}
