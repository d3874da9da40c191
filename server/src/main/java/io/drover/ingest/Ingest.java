package io.drover.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import io.drover.workflows.Condition;
import io.drover.workflows.Engine;
import io.drover.workflows.EventTemplates;
import io.drover.workflows.Workflow;
import io.drover.workflows.WorkflowStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/ingest/{source_id}}: verifies a delivery, stores it once per delivery id, and
 * triggers each matching subscription's job or workflow, all in one transaction. A repeated delivery
 * id answers 202 with {@code duplicate: true} and triggers nothing; each trigger also carries an
 * idempotency key derived from source, delivery id and subscription, so no path can make two runs
 * of one delivery for one subscription.
 */
public final class Ingest {
    private static final Logger log = LoggerFactory.getLogger(Ingest.class);
    static final String DELIVERY_HEADER = "X-Drover-Delivery-Id";
    static final int MAX_DELIVERY_ID = 255;

    private final Db db;
    private final EventSources sources;
    private final JobStore jobs;
    private final RunStore runs;
    private final WorkflowStore workflows;
    private final Engine engine;
    private final InstantSource clock;

    public Ingest(Db db, EventSources sources, JobStore jobs, RunStore runs, WorkflowStore workflows, Engine engine,
            InstantSource clock) {
        this.db = db;
        this.sources = sources;
        this.jobs = jobs;
        this.runs = runs;
        this.workflows = workflows;
        this.engine = engine;
        this.clock = clock;
    }

    /** What a subscription needs at ingest: its row, its job or workflow (null if deleted), its parsed filter and template. */
    private record Target(EventSources.Subscription sub, Job job, Workflow workflow, Condition filter,
            JsonNode template, boolean broken) {}

    /**
     * Accepts one delivery. {@code header} reads request headers (case-insensitive). Throws 404 for an
     * unknown source, 401 for a bad signature, 400 for a body that is not JSON: nothing is stored then.
     */
    public ObjectNode accept(String sourceIdText, Function<String, String> header, byte[] body) {
        UUID sourceId = EventSources.uuid(sourceIdText);
        EventSources.Opened src = sourceId == null ? null : sources.forIngest(sourceId);
        if (src == null) {
            throw new io.drover.errors.NotFound("event source", sourceIdText);
        }
        String deliveryId;
        switch (src.verify()) {
            case EventSources.STANDARD_WEBHOOKS -> {
                deliveryId = header.apply("webhook-id");
                refuseIf(Signatures.standardWebhooks(src.secret(), deliveryId, header.apply("webhook-timestamp"),
                        header.apply("webhook-signature"), body, clock.instant()));
            }
            case EventSources.HMAC_SHA256 -> {
                refuseIf(Signatures.hmacSha256(src.secret(), header.apply(Signatures.HMAC_HEADER), body));
                deliveryId = senderDeliveryId(header);
            }
            default -> deliveryId = senderDeliveryId(header);
        }
        if (deliveryId == null || deliveryId.isEmpty()) {
            deliveryId = "drover:" + UuidV7.next(); // the sender named none: nothing to de-duplicate by
        }
        if (deliveryId.length() > MAX_DELIVERY_ID || deliveryId.indexOf('\0') >= 0) {
            throw new io.drover.errors.Invalid("delivery_id", "the delivery id must be 1.." + MAX_DELIVERY_ID + " characters");
        }
        JsonNode event = Json.parse(body);
        if (!event.isObject()) {
            throw new io.drover.errors.Malformed("invalid_body", "an event is a JSON object", Map.of());
        }
        String unstorable = Json.unstorablePath(event, "");
        if (unstorable != null) {
            throw new io.drover.errors.Invalid("body", "holds a value PostgreSQL cannot store at " + unstorable);
        }
        List<Target> targets = targets(src.projectId(), sourceId);
        String delivery = deliveryId;
        return db.tx(c -> {
            UUID id = UuidV7.next();
            ObjectNode out = Json.object();
            out.put("delivery_id", delivery);
            try (Query q = EventSources.SQL.prepare(c, "insert_event")) {
                q.set("id", id).set("project_id", src.projectId()).set("source_id", sourceId)
                        .set("delivery_id", delivery).set("body", Json.write(event)).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        try (Query f = EventSources.SQL.prepare(c, "first_event")) {
                            f.set("project_id", src.projectId()).set("source_id", sourceId)
                                    .set("delivery_id", delivery);
                            try (ResultSet first = f.query()) {
                                first.next();
                                out.put("id", first.getObject(1, UUID.class).toString());
                                out.put("duplicate", true);
                                out.set("triggered", Json.read(first.getString(2)));
                                return out;
                            }
                        }
                    }
                }
            }
            out.put("id", id.toString());
            out.put("duplicate", false);
            ArrayNode triggered = out.putArray("triggered");
            for (Target t : targets) {
                if (t.broken() || (t.filter() != null && !EventTemplates.matches(t.filter(), event))) {
                    continue;
                }
                JsonNode payload = t.template() == null ? event : EventTemplates.render(t.template(), event);
                String key = idempotencyKey(sourceId, delivery, t.sub().id());
                ObjectNode row = triggered.addObject().put("subscription_id", t.sub().id().toString());
                if (t.sub().jobId() != null) {
                    row.put("job", t.sub().jobSlug());
                    if (t.job() == null) {
                        row.put("skipped", "job_deleted");
                        continue;
                    }
                    ObjectNode meta = Json.object().put("event_source_id", sourceId.toString())
                            .put("delivery_id", delivery);
                    var r = runs.triggerIn(c, t.job(), List.of(new TriggerRequest(payload, meta, key, null, null,
                            null, null)), RunStore.Origin.API);
                    row.put("run_id", r.ids().get(0).toString());
                } else {
                    row.put("workflow", t.sub().workflowSlug());
                    if (t.workflow() == null) {
                        row.put("skipped", "workflow_deleted");
                        continue;
                    }
                    var s = engine.trigger(c, t.workflow(), payload, key, UuidV7.next(), null, null, 0);
                    row.put("workflow_run_id", s.run().id().toString());
                }
            }
            try (Query q = EventSources.SQL.prepare(c, "set_triggered")) {
                q.set("id", id).set("triggered", Json.write(triggered)).update();
            }
            return out;
        });
    }

    private List<Target> targets(UUID projectId, UUID sourceId) {
        Map<UUID, Job> jobCache = new HashMap<>();
        Map<UUID, Workflow> wfCache = new HashMap<>();
        return sources.subscriptions(projectId, sourceId).stream().map(s -> {
            Condition filter = null;
            JsonNode template = null;
            boolean broken = false;
            try {
                filter = s.filter() == null ? null : EventTemplates.condition(s.filter());
                template = s.payload() == null ? null : EventTemplates.template(s.payload());
            } catch (IllegalArgumentException e) {
                log.warn("subscription {} has a filter or payload that no longer parses: {}", s.id(), e.getMessage());
                broken = true;
            }
            Job job = s.jobId() == null ? null
                    : jobCache.computeIfAbsent(s.jobId(), id -> jobs.find(projectId, id.toString()));
            Workflow wf = s.workflowId() == null ? null
                    : wfCache.computeIfAbsent(s.workflowId(), id -> workflows.find(projectId, id.toString()));
            return new Target(s, job, wf, filter, template, broken);
        }).toList();
    }

    private static String senderDeliveryId(Function<String, String> header) {
        String id = header.apply(DELIVERY_HEADER);
        return id != null ? id : header.apply("webhook-id");
    }

    private static void refuseIf(String problem) {
        if (problem != null) {
            throw new io.drover.errors.Unauthorized("invalid_signature", problem);
        }
    }

    /** The same for every retry of one delivery to one subscription: a trigger cannot happen twice. */
    static String idempotencyKey(UUID sourceId, String deliveryId, UUID subscriptionId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((sourceId + "\n" + deliveryId + "\n" + subscriptionId)
                    .getBytes(StandardCharsets.UTF_8));
            return "ingest:" + HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
