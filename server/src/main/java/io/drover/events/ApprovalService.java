package io.drover.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Standalone approval requests: an agent asks for a human decision with a risk level and an
 * expiry; approving, rejecting or expiring it sends its continuation event (if it names one), so a
 * workflow step or a run waiting on that key goes on.
 */
public final class ApprovalService {
    private final Db db;
    private final EventService events;

    private final java.time.InstantSource clock;

    public ApprovalService(Db db, EventService events) {
        this(db, events, java.time.InstantSource.system());
    }

    public ApprovalService(Db db, EventService events, java.time.InstantSource clock) {
        this.db = db;
        this.events = events;
        this.clock = clock;
    }

    public Approval create(UUID projectId, String action, JsonNode details, String risk, int expiresInSecs,
            String continuationEvent) {
        return db.tx(c -> {
            Approval a = Approvals.insert(c, projectId, null, null, action,
                    details == null ? null : Json.write(details), risk, continuationEvent,
                    clock.instant().plusSeconds(expiresInSecs));
            events.audit(c, projectId, "approval.create", "approval", a.id(), Json.object().put("action", action)
                    .put("risk_level", risk).put("continuation_event", continuationEvent));
            return a;
        });
    }

    public Approval get(UUID projectId, UUID id) {
        return db.read(c -> Approvals.get(c, projectId, id)).orElseThrow(() -> new NotFound("approval", id.toString()));
    }

    public List<Approval> list(UUID projectId, String status, UUID cursor, int limit) {
        return db.read(c -> Approvals.list(c, projectId, status, cursor, limit));
    }

    public Approval resolve(UUID projectId, UUID id, boolean approve, String comment, String by) {
        return db.tx(c -> {
            Approval current = Approvals.get(c, projectId, id).orElseThrow(() -> new NotFound("approval", id.toString()));
            if (current.workflowRunId() != null) {
                throw new Conflict("workflow_step_approval", "this approval belongs to step '" + current.stepId()
                        + "' of workflow run " + current.workflowRunId() + "; resolve it there",
                        Map.of("workflow_run_id", current.workflowRunId().toString()));
            }
            Approval done = Approvals.resolve(c, projectId, id, approve ? "approved" : "rejected", comment, by)
                    .orElseThrow(() -> new Conflict("not_pending", "approval is " + current.status()
                            + "; only a pending request can be resolved", Map.of("status", current.status())));
            continueWith(c, done);
            events.audit(c, projectId, approve ? "approval.approve" : "approval.reject", "approval", id,
                    Json.object().put("action", done.action()).put("comment", comment));
            return done;
        });
    }

    /** Expires standalone requests past their time (timer service); returns how many. */
    public int expireDue(int limit) {
        return db.tx(c -> {
            List<Approval> due = Approvals.expired(c, limit, io.drover.store.SqlTime.now(clock));
            for (Approval a : due) {
                Approval done = Approvals.resolve(c, a.projectId(), a.id(), "expired", null, null).orElseThrow();
                continueWith(c, done);
            }
            // Last, and in project order: each append locks its project's audit head until commit.
            for (Approval a : due.stream().sorted(java.util.Comparator.comparing(Approval::projectId)).toList()) {
                events.audit(c, a.projectId(), "approval.expire", "approval", a.id(), Json.object()
                        .put("action", a.action()));
            }
            return due.size();
        });
    }

    private void continueWith(Connection c, Approval done) throws SQLException {
        if (done.continuationEvent() == null) {
            return;
        }
        try {
            events.sendIn(c, done.projectId(), done.continuationEvent(), done.continuationPayload());
        } catch (Conflict e) {
            // The key was already sent with another payload: its waiters have their answer, and
            // the decision on this request still stands (the refused send wrote nothing).
        }
    }
}
