package io.drover.webhooks;

import io.drover.audit.AuditLog;
import io.drover.crypto.SecretBox;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Webhook subscriptions and their deliveries. Secrets are made here, shown once (in {@link Created})
 * and stored sealed with {@link SecretBox} under the webhook's id as associated data; every change
 * is audited without the secret.
 */
public final class WebhookStore {
    static final Sql SQL = Sql.load("/sql/webhooks.sql");
    /** How long the previous secret keeps signing after a rotation. */
    public static final Duration ROTATION_GRACE = Duration.ofHours(24);

    private final Db db;
    private final SecretBox box;
    private final AuditLog audit;
    private final InstantSource clock;

    /** The statements, for the retention target ({@code delete_deliveries}). */
    public static Sql sql() {
        return SQL;
    }

    public WebhookStore(Db db, SecretBox box, AuditLog audit, InstantSource clock) {
        this.db = db;
        this.box = box;
        this.audit = audit;
        this.clock = clock;
    }

    /** A new webhook with its secret, the only time the secret is shown. */
    public record Created(Webhook webhook, String secret) {}

    /** What a create or a change sets. */
    public record Spec(String url, List<String> eventTypes, String description, boolean enabled) {}

    public Created create(UUID projectId, Spec spec) {
        UUID id = UuidV7.next();
        String secret = Signatures.newSecret();
        Webhook w = db.tx(c -> {
            Webhook made;
            try (Query q = SQL.prepare(c, "insert_webhook")) {
                q.set("id", id).set("project_id", projectId).set("url", spec.url())
                        .setArray("event_types", "text", spec.eventTypes().toArray())
                        .set("description", spec.description()).set("enabled", spec.enabled())
                        .set("secret", seal(id, secret)).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    made = Webhook.map(rs);
                }
            }
            audit.append(c, projectId, "webhook.create", "webhook", id, details(made));
            return made;
        });
        return new Created(w, secret);
    }

    public List<Webhook> list(UUID projectId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_webhooks")) {
                q.set("project_id", projectId);
                List<Webhook> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Webhook.map(rs));
                    }
                }
                return out;
            }
        });
    }

    public Webhook get(UUID projectId, UUID id) {
        return db.read(c -> get(c, projectId, id));
    }

    private static Webhook get(Connection c, UUID projectId, UUID id) throws SQLException {
        try (Query q = SQL.prepare(c, "get_webhook")) {
            q.set("project_id", projectId).set("id", id);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("webhook", id.toString());
                }
                return Webhook.map(rs);
            }
        }
    }

    /** Applies {@code change} to the stored webhook (read in the same transaction) and saves it. */
    public Webhook update(UUID projectId, UUID id, java.util.function.UnaryOperator<Spec> change) {
        return db.tx(c -> {
            Webhook before = get(c, projectId, id);
            Spec next = change.apply(new Spec(before.url(), before.eventTypes(), before.description(),
                    before.enabled()));
            Webhook after;
            try (Query q = SQL.prepare(c, "update_webhook")) {
                q.set("project_id", projectId).set("id", id).set("url", next.url())
                        .setArray("event_types", "text", next.eventTypes().toArray())
                        .set("description", next.description()).set("enabled", next.enabled())
                        .set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    after = Webhook.map(rs);
                }
            }
            audit.append(c, projectId, "webhook.update", "webhook", id, details(after));
            return after;
        });
    }

    public void delete(UUID projectId, UUID id) {
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "delete_webhook")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("webhook", id.toString());
                    }
                    audit.append(c, projectId, "webhook.delete", "webhook", id,
                            Json.object().put("url", rs.getString(2)));
                }
            }
            return null;
        });
    }

    /** A new secret (shown once); the old one keeps signing for {@link #ROTATION_GRACE}. */
    public Created rotate(UUID projectId, UUID id) {
        String secret = Signatures.newSecret();
        Webhook w = db.tx(c -> {
            try (Query q = SQL.prepare(c, "lock_secret")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("webhook", id.toString());
                    }
                }
            }
            Webhook after;
            try (Query q = SQL.prepare(c, "rotate_secret")) {
                q.set("project_id", projectId).set("id", id).set("secret", seal(id, secret))
                        .set("grace_ms", ROTATION_GRACE.toMillis()).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    after = Webhook.map(rs);
                }
            }
            audit.append(c, projectId, "webhook.rotate_secret", "webhook", id, Json.object()
                    .put("url", after.url()).put("previous_secret_expires_at", after.rotatingUntil().toString()));
            return after;
        });
        return new Created(w, secret);
    }

    /** A page of a webhook's deliveries, newest first ({@code limit + 1} rows: the last says more exist). */
    public List<Delivery> deliveries(UUID projectId, UUID webhookId, String status, UUID cursor, int limit) {
        return db.read(c -> {
            get(c, projectId, webhookId); // 404 for another project's webhook or none
            try (Query q = SQL.prepare(c, "list_deliveries")) {
                q.set("project_id", projectId).set("webhook_id", webhookId).set("status", status)
                        .set("cursor", cursor).set("limit", limit + 1);
                List<Delivery> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Delivery.map(rs));
                    }
                }
                return out;
            }
        });
    }

    /** Sends a finished delivery again: pending, due now, attempts from zero. 409 while it is pending. */
    public Delivery replay(UUID projectId, UUID id) {
        return db.tx(c -> {
            try (Query q = SQL.prepare(c, "replay_delivery")) {
                q.set("project_id", projectId).set("id", id).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    if (rs.next()) {
                        Delivery d = Delivery.map(rs);
                        audit.append(c, projectId, "webhook.replay", "webhook_delivery", id, Json.object()
                                .put("webhook_id", d.webhookId().toString()).put("event_id", d.eventId()));
                        return d;
                    }
                }
            }
            try (Query q = SQL.prepare(c, "get_delivery")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("webhook delivery", id.toString());
                    }
                }
            }
            throw new Conflict("delivery_pending", "the delivery is pending: it is sent (again) when it is due",
                    Map.of("id", id.toString()));
        });
    }

    /** Opens a sealed secret of webhook {@code id} (for signing only; never logged). */
    String open(UUID id, byte[] sealed) {
        return sealed == null ? null : new String(box.open(sealed, aad(id)), StandardCharsets.UTF_8);
    }

    private byte[] seal(UUID id, String secret) {
        return box.seal(secret.getBytes(StandardCharsets.UTF_8), aad(id));
    }

    private static byte[] aad(UUID id) {
        return ("webhook:" + id).getBytes(StandardCharsets.UTF_8);
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode details(Webhook w) {
        var n = Json.object().put("url", w.url()).put("enabled", w.enabled());
        var types = n.putArray("event_types");
        w.eventTypes().forEach(types::add);
        return n;
    }
}
