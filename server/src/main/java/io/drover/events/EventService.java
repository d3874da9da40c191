package io.drover.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.errors.Conflict;
import io.drover.http.Json;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Sending events: by key (recorded, so a repeat with the same payload is a no-op and a different
 * payload a 409) or by prefix (resolves the waiters present now). Each resolved waiter's workflow
 * step completes in the sending transaction.
 */
public final class EventService {
    private final Db db;
    private final EventDelivered engine;

    public EventService(Db db, EventDelivered engine) {
        this.db = db;
        this.engine = engine;
    }

    private volatile io.drover.audit.AuditLog audit;
    private volatile RunWaiters runWaiters = RunWaiters.NONE;

    /** Who queues plain runs whose event wait a send resolves (the run store, wired by DroverServer). */
    public void setRunWaiters(RunWaiters waiters) {
        this.runWaiters = waiters;
    }

    /** Sends and approval decisions append their audit row in the same transaction. */
    public void setAudit(io.drover.audit.AuditLog audit) {
        this.audit = audit;
    }

    /** Appends an audit row (last in the transaction: it locks the project's audit head). */
    void audit(Connection c, UUID projectId, String action, String targetType, Object targetId,
            com.fasterxml.jackson.databind.node.ObjectNode details) throws SQLException {
        if (audit != null) {
            audit.append(c, projectId, action, targetType, targetId, details);
        }
    }

    /** What a send did: how many waiters it resolved, and whether it repeated an earlier send. */
    public record Sent(String key, int resolved, boolean duplicate) {}

    public Sent send(UUID projectId, String key, JsonNode payload) {
        return db.tx(c -> {
            Sent s = sendIn(c, projectId, key, payload);
            if (!s.duplicate()) {
                audit(c, projectId, "event.send", "event", key, Json.object().put("resolved", s.resolved()));
            }
            return s;
        });
    }

    public Sent sendIn(Connection c, UUID projectId, String key, JsonNode payload) throws SQLException {
        String json = Json.write(payload);
        EventWaits.lockKey(c, projectId, key);
        Optional<String> first = EventWaits.record(c, projectId, key, json);
        if (first.isPresent()) {
            if (Json.read(first.get()).equals(payload)) {
                return new Sent(key, 0, true);
            }
            throw new Conflict("event_already_sent", "event '" + key + "' was already sent with a different "
                    + "payload; an event key resolves once", Map.of("event_key", key));
        }
        return new Sent(key, resume(c, projectId, EventWaits.resolve(c, projectId, key, false, json), json), false);
    }

    public Sent sendPrefix(UUID projectId, String prefix, JsonNode payload) {
        String json = Json.write(payload);
        return db.tx(c -> {
            Sent s = new Sent(prefix, resume(c, projectId, EventWaits.resolve(c, projectId, prefix, true, json), json),
                    false);
            audit(c, projectId, "event.send_prefix", "event", prefix, Json.object().put("resolved", s.resolved()));
            return s;
        });
    }

    private int resume(Connection c, UUID projectId, List<EventWaits.Resolved> resolved, String json)
            throws SQLException {
        // In a fixed order (workflow runs, then plain runs, each by id), so that two sends lock alike.
        List<EventWaits.Resolved> ordered = resolved.stream()
                .sorted(Comparator.comparing(EventWaits.Resolved::workflowRunId,
                        Comparator.nullsLast(Comparator.<UUID>naturalOrder()))
                        .thenComparing(EventWaits.Resolved::runId, Comparator.nullsLast(Comparator.<UUID>naturalOrder())))
                .toList();
        for (EventWaits.Resolved r : ordered) {
            if (r.workflowRunId() != null) {
                engine.eventReceived(c, r.workflowRunId(), r.stepId(), r.eventKey(), json);
            } else if (r.runId() != null) {
                runWaiters.eventReceived(c, projectId, r.runId(), r.eventKey(), json);
            }
        }
        return resolved.size();
    }
}
