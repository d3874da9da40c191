package io.drover.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.crypto.SecretBox;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Event sources and their subscriptions. A source's secret is made here, shown once, and kept sealed
 * with {@link SecretBox} (the project and the source id are the associated data, so a sealed secret
 * moved to another row does not open); it is never logged or audited. Admin changes are audited.
 */
public final class EventSources {
    static final Sql SQL = Sql.load("/sql/ingest.sql");
    public static final String STANDARD_WEBHOOKS = "standard_webhooks";
    public static final String HMAC_SHA256 = "hmac_sha256";
    public static final String NONE = "none";

    private final Db db;
    private final SecretBox box;
    private final AuditLog audit;
    private final SecureRandom random = new SecureRandom();

    public EventSources(Db db, SecretBox box, AuditLog audit) {
        this.db = db;
        this.box = box;
        this.audit = audit;
    }

    public record Source(UUID id, String slug, String verify, Instant createdAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("slug", slug);
            n.put("verify", verify);
            n.put("ingest_path", "/v1/ingest/" + id);
            n.put("created_at", createdAt.toString());
            return n;
        }
    }

    public record Created(Source source, String secret) {}

    /** A subscription; exactly one of job and workflow is set. */
    public record Subscription(UUID id, UUID sourceId, UUID jobId, String jobSlug, UUID workflowId,
            String workflowSlug, JsonNode filter, JsonNode payload, Instant createdAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("source_id", sourceId.toString());
            if (jobId != null) {
                n.put("job", jobSlug);
                n.put("job_id", jobId.toString());
            } else {
                n.put("workflow", workflowSlug);
                n.put("workflow_id", workflowId.toString());
            }
            n.set("filter", filter == null ? Json.MAPPER.nullNode() : filter);
            n.set("payload", payload == null ? Json.MAPPER.nullNode() : payload);
            n.put("created_at", createdAt.toString());
            return n;
        }
    }

    /** For the retention pass: ingested events older than the project's {@code retention_days}. */
    public static io.drover.retention.RetentionPass.Target retentionTarget() {
        return new io.drover.retention.RetentionPass.Target(SQL, "delete_ingested_events", List.of("ingested_events"));
    }

    /** What ingest needs of a source: its project, how to verify, and its secret opened (null for none). */
    record Opened(UUID projectId, String verify, String secret) {}

    public Created create(UUID projectId, String slug, String verify) {
        UUID id = UuidV7.next();
        String secret = switch (verify) {
            case STANDARD_WEBHOOKS -> "whsec_" + Base64.getEncoder().encodeToString(randomBytes(32));
            case HMAC_SHA256 -> HexFormat.of().formatHex(randomBytes(32));
            default -> null;
        };
        byte[] sealed = secret == null ? null : box.seal(secret.getBytes(StandardCharsets.UTF_8), aad(projectId, id));
        Source s = db.tx(c -> {
            try (Query q = SQL.prepare(c, "insert_source")) {
                q.set("id", id).set("project_id", projectId).set("slug", slug).set("verify", verify)
                        .set("secret", sealed, java.sql.Types.BINARY).set("key_id", (int) SecretBox.KEY_ID);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new Conflict("slug_taken", "an event source with slug '" + slug + "' exists",
                                Map.of("field", "slug"));
                    }
                    Source src = source(rs);
                    audit.append(c, projectId, "event_source.create", "event_source", id,
                            Json.object().put("slug", slug).put("verify", verify));
                    return src;
                }
            }
        });
        return new Created(s, secret);
    }

    public List<Source> list(UUID projectId) {
        return db.read(c -> {
            List<Source> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_sources")) {
                q.set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(source(rs));
                    }
                }
            }
            return out;
        });
    }

    /** By id or slug. */
    public Source get(UUID projectId, String idOrSlug) {
        UUID id = uuid(idOrSlug);
        if (id == null && !IngestRoutes.SLUG.matcher(idOrSlug).matches()) {
            throw new NotFound("event source", idOrSlug); // no source has this slug (nor may U+0000 reach SQL)
        }
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "get_source")) {
                q.set("project_id", projectId).set("id", id).set("slug", id == null ? idOrSlug : null,
                        java.sql.Types.VARCHAR);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("event source", idOrSlug);
                    }
                    return source(rs);
                }
            }
        });
    }

    /** Deletes the source with its subscriptions and ingested events. */
    public void delete(UUID projectId, String idOrSlug) {
        Source s = get(projectId, idOrSlug);
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "delete_source")) {
                q.set("project_id", projectId).set("id", s.id());
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("event source", idOrSlug);
                    }
                }
            }
            audit.append(c, projectId, "event_source.delete", "event_source", s.id(),
                    Json.object().put("slug", s.slug()));
            return null;
        });
    }

    public Subscription subscribe(UUID projectId, Source source, UUID jobId, String jobSlug, UUID workflowId,
            String workflowSlug, JsonNode filter, JsonNode payload) {
        UUID id = UuidV7.next();
        return db.tx(c -> {
            Instant created;
            try (Query q = SQL.prepare(c, "insert_subscription")) {
                q.set("id", id).set("project_id", projectId).set("source_id", source.id()).set("job_id", jobId)
                        .set("workflow_id", workflowId).set("filter", filter == null ? null : Json.write(filter))
                        .set("payload", payload == null ? null : Json.write(payload));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    created = rs.getTimestamp(1).toInstant();
                }
            }
            ObjectNode details = Json.object().put("source", source.slug());
            if (jobId != null) {
                details.put("job", jobSlug);
            } else {
                details.put("workflow", workflowSlug);
            }
            audit.append(c, projectId, "event_subscription.create", "event_subscription", id, details);
            return new Subscription(id, source.id(), jobId, jobSlug, workflowId, workflowSlug, filter, payload,
                    created);
        });
    }

    public List<Subscription> subscriptions(UUID projectId, UUID sourceId) {
        return db.read(c -> {
            List<Subscription> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_subscriptions")) {
                q.set("project_id", projectId).set("source_id", sourceId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        String filter = rs.getString(7);
                        String payload = rs.getString(8);
                        out.add(new Subscription(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                rs.getObject(3, UUID.class), rs.getString(4), rs.getObject(5, UUID.class),
                                rs.getString(6), filter == null ? null : Json.read(filter),
                                payload == null ? null : Json.read(payload), rs.getTimestamp(9).toInstant()));
                    }
                }
            }
            return out;
        });
    }

    public void unsubscribe(UUID projectId, Source source, UUID subscriptionId) {
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "delete_subscription")) {
                q.set("project_id", projectId).set("source_id", source.id()).set("id", subscriptionId);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("subscription", subscriptionId.toString());
                    }
                }
            }
            audit.append(c, projectId, "event_subscription.delete", "event_subscription", subscriptionId,
                    Json.object().put("source", source.slug()));
            return null;
        });
    }

    /** An ingested event as the API lists it. */
    public Page<ObjectNode> events(UUID projectId, UUID sourceId, UUID cursor, int limit) {
        return db.read(c -> {
            List<ObjectNode> rows = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_events")) {
                q.set("project_id", projectId).set("source_id", sourceId).set("cursor", cursor)
                        .set("limit", limit + 1);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        ObjectNode n = Json.object();
                        n.put("id", rs.getObject(1, UUID.class).toString());
                        n.put("delivery_id", rs.getString(2));
                        n.set("body", Json.read(rs.getString(3)));
                        n.set("triggered", Json.read(rs.getString(4)));
                        n.put("received_at", rs.getTimestamp(5).toInstant().toString());
                        rows.add(n);
                    }
                }
            }
            return Page.of(rows, limit, n -> UUID.fromString(n.get("id").asText()));
        });
    }

    /** The source for an inbound request, or null when there is none with this id. */
    Opened forIngest(UUID sourceId) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "source_for_ingest")) {
                q.set("id", sourceId);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        return null;
                    }
                    UUID projectId = rs.getObject(1, UUID.class);
                    byte[] sealed = rs.getBytes(3);
                    String secret = sealed == null ? null
                            : new String(box.open(sealed, aad(projectId, sourceId)), StandardCharsets.UTF_8);
                    return new Opened(projectId, rs.getString(2), secret);
                }
            }
        });
    }

    private static byte[] aad(UUID projectId, UUID sourceId) {
        return ("event_source:" + projectId + ":" + sourceId).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static UUID uuid(String s) {
        try {
            return s != null && s.length() == 36 ? UUID.fromString(s) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Source source(ResultSet rs) throws SQLException {
        return new Source(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                rs.getTimestamp(4).toInstant());
    }
}
