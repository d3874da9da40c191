package io.drover.events;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** /v1/events (send by key or prefix) and /v1/approvals (standalone requests for a human decision). */
public final class EventRoutes {
    private final EventService events;
    private final ApprovalService approvals;

    public EventRoutes(EventService events, ApprovalService approvals) {
        this.events = events;
        this.approvals = approvals;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/events/{key}/send", Role.OPERATOR, "Send an event: resolves every waiter on the key",
                        c -> sent(events.send(c.projectId(), key(c.path("key")), payload(c)))),
                post("/v1/events/prefix/{prefix}/send", Role.OPERATOR,
                        "Send an event to every waiter whose key starts with the prefix",
                        c -> sent(events.sendPrefix(c.projectId(), key(c.path("prefix")), payload(c)))),
                post("/v1/approvals", Role.OPERATOR, "Ask for a human decision", this::create),
                get("/v1/approvals", Role.VIEWER, "List approval requests (filter: status)", this::list),
                get("/v1/approvals/{id}", Role.VIEWER, "Get an approval request",
                        c -> Reply.ok(approvals.get(c.projectId(), c.pathUuid("id", "approval")).toJson())),
                post("/v1/approvals/{id}/approve", Role.OPERATOR, "Approve a pending request", c -> resolve(c, true)),
                post("/v1/approvals/{id}/reject", Role.OPERATOR, "Reject a pending request", c -> resolve(c, false)));
    }

    private static String key(String raw) {
        if (raw.isEmpty() || raw.length() > 255) {
            throw ApiError.invalid("key", "an event key is 1..255 characters");
        }
        return raw;
    }

    private static JsonNode payload(Call c) {
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("payload"));
        JsonNode p = in.raw().get("payload");
        return p == null ? Json.MAPPER.nullNode() : p;
    }

    private static Reply sent(EventService.Sent s) {
        return Reply.ok(Json.object().put("event_key", s.key()).put("resolved", s.resolved())
                .put("duplicate", s.duplicate()));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("action", "details", "risk_level", "expires_in_secs", "continuation_event"));
        String action = in.requiredString("action", 200);
        JsonNode details = in.get("details");
        String risk = in.oneOf("risk_level", "medium", Set.of("low", "medium", "high", "critical"));
        int expires = in.intValue("expires_in_secs", 24 * 3600, 1, 366 * 24 * 3600);
        String event = in.string("continuation_event", null, 255);
        return Reply.created(approvals.create(c.projectId(), action, details, risk, expires, event).toJson());
    }

    private Reply list(Call c) {
        String status = c.query("status");
        if (status != null && !Set.of("pending", "approved", "rejected", "expired", "canceled").contains(status)) {
            throw new ApiError(400, "invalid_parameter", "status must be pending, approved, rejected, expired or canceled",
                    Map.of("parameter", "status"));
        }
        int limit = Page.limit(c.query("limit"));
        List<Approval> rows = approvals.list(c.projectId(), status, Page.decode(c.query("cursor")), limit + 1);
        return Reply.ok(Page.of(rows, limit, Approval::id).toJson(Approval::toJson));
    }

    private Reply resolve(Call c, boolean approve) {
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("comment"));
        UUID id = c.pathUuid("id", "approval");
        ObjectNode out = approvals.resolve(c.projectId(), id, approve, in.string("comment", null, 2000),
                actor(c)).toJson();
        return Reply.ok(out);
    }

    /** Who resolved an approval, as the approval row records it: a signed-in user or an API key. */
    static String actor(Call c) {
        return c.principal().isUser() ? "user:" + c.principal().userId() : "key:" + c.principal().keyId();
    }
}
