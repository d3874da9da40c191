package io.drover.drains;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.patch;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.outbound.OutboundGuard;
import io.drover.webhooks.WebhookRoutes;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /v1/log-drains} (API.md "Inbound event sources, endpoint health, log drains"): admins
 * write, viewers read. The secret is in the answer of create only.
 */
public final class LogDrainRoutes {
    private static final Set<String> FIELDS = Set.of("url", "event_types", "format", "enabled");
    private static final Set<String> STATUSES = Set.of("succeeded", "dead");
    private final LogDrainStore store;
    private final OutboundGuard outbound;

    public LogDrainRoutes(LogDrainStore store, OutboundGuard outbound) {
        this.store = store;
        this.outbound = outbound;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/log-drains", Role.ADMIN, "Create a log drain {url, event_types, format: ndjson, enabled}; "
                        + "the answer holds its signing secret, once", this::create),
                get("/v1/log-drains", Role.VIEWER, "List log drains (never their secrets)",
                        c -> Reply.ok(Page.slice(store.list(c.projectId()), c, LogDrain::id).toJson(LogDrain::toJson))),
                get("/v1/log-drains/{id}", Role.VIEWER, "Get a log drain (never its secret)",
                        c -> Reply.ok(store.get(c.projectId(), id(c)).toJson())),
                patch("/v1/log-drains/{id}", Role.ADMIN, "Switch a log drain on or off {enabled}", c -> {
                    UUID id = id(c);
                    Input in = Input.body(c.body(), false);
                    in.allowOnly(Set.of("enabled"));
                    Boolean enabled = in.bool("enabled", null);
                    if (enabled == null) {
                        throw ApiError.invalid("enabled", "enabled is required (true or false)");
                    }
                    return Reply.ok(store.setEnabled(c.projectId(), id, enabled).toJson());
                }),
                delete("/v1/log-drains/{id}", Role.ADMIN, "Delete a log drain and its batch records", c -> {
                    store.delete(c.projectId(), id(c));
                    return Reply.ok(Json.object().put("deleted", true));
                }),
                get("/v1/log-drains/{id}/batches", Role.VIEWER, "A log drain's finished batches, newest first "
                        + "(?status=succeeded|dead)", this::batches));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(FIELDS);
        String url = in.requiredString("url", 2048);
        outbound.checkUrl("url", url);
        List<String> types = in.strings("event_types", 100, 200);
        if (types != null) {
            for (String t : types) {
                if (!WebhookRoutes.EVENT_TYPE.matcher(t).matches()) {
                    throw ApiError.invalid("event_types", "'" + t + "' is not an event type or a filter "
                            + "(run.completed, run.*, *)");
                }
            }
            types = List.copyOf(new LinkedHashSet<>(types));
        }
        String format = in.string("format", "ndjson", 20);
        if (!format.equals("ndjson")) {
            throw ApiError.invalid("format", "format must be \"ndjson\"");
        }
        boolean enabled = in.bool("enabled", true);
        LogDrainStore.Created made = store.create(c.projectId(), url, types == null ? List.of() : types, format,
                enabled);
        ObjectNode n = made.drain().toJson();
        n.put("secret", made.secret());
        return Reply.created(n);
    }

    private Reply batches(Call c) {
        UUID id = id(c);
        String status = c.query("status");
        if (status != null && status.isEmpty()) {
            status = null;
        }
        if (status != null && !STATUSES.contains(status)) {
            throw new ApiError(400, "invalid_parameter", "status must be one of " + new java.util.TreeSet<>(STATUSES),
                    Map.of("parameter", "status"));
        }
        int limit = Page.limit(c.query("limit"));
        UUID cursor = Page.decode(c.query("cursor"));
        var rows = store.batches(c.projectId(), id, status, cursor, limit);
        return Reply.ok(Page.of(rows, limit, LogDrain.Batch::id).toJson(LogDrain.Batch::toJson));
    }

    private static UUID id(Call c) {
        return c.pathUuid("id", "log drain");
    }
}
