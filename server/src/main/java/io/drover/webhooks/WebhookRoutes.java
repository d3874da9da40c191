package io.drover.webhooks;

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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code /v1/webhooks} and {@code /v1/webhook-deliveries} (API.md "Outbound webhooks"): admins
 * write, viewers read. The secret is in the answers of create and rotate-secret only.
 */
public final class WebhookRoutes {
    /** An event type or a filter: {@code *}, {@code run.completed}, {@code run.*}. */
    public static final Pattern EVENT_TYPE = Pattern.compile("\\*|[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*(\\.\\*)?");
    static final Set<String> STATUSES = Set.of("pending", "succeeded", "dead");
    private static final Set<String> FIELDS = Set.of("url", "event_types", "description", "enabled");
    private final WebhookStore store;
    private final OutboundGuard outbound;

    public WebhookRoutes(WebhookStore store, OutboundGuard outbound) {
        this.store = store;
        this.outbound = outbound;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/webhooks", Role.ADMIN, "Create a webhook {url, event_types, description, enabled}; "
                        + "the answer holds its secret, once", this::create),
                get("/v1/webhooks", Role.VIEWER, "List webhooks (never their secrets)",
                        c -> Reply.ok(Page.slice(store.list(c.projectId()), c, Webhook::id).toJson(Webhook::toJson))),
                get("/v1/webhooks/{id}", Role.VIEWER, "Get a webhook (never its secret)",
                        c -> Reply.ok(store.get(c.projectId(), id(c)).toJson())),
                patch("/v1/webhooks/{id}", Role.ADMIN, "Change a webhook's url, event_types, description or enabled",
                        this::update),
                delete("/v1/webhooks/{id}", Role.ADMIN, "Delete a webhook and its deliveries", c -> {
                    store.delete(c.projectId(), id(c));
                    return Reply.ok(Json.object().put("deleted", true));
                }),
                post("/v1/webhooks/{id}/rotate-secret", Role.ADMIN, "A new secret (shown once); the previous one "
                        + "also signs for 24 hours", c -> {
                            Input.body(c.body(), true).allowOnly(Set.of()); // an empty body or {}
                            return Reply.ok(withSecret(store.rotate(c.projectId(), id(c))));
                        }),
                get("/v1/webhooks/{id}/deliveries", Role.VIEWER, "A webhook's deliveries, newest first (?status=)",
                        this::deliveries),
                post("/v1/webhook-deliveries/{id}/replay", Role.ADMIN, "Send a finished delivery again (202)", c -> {
                    Input.body(c.body(), true).allowOnly(Set.of()); // an empty body or {}
                    Delivery d = store.replay(c.projectId(), c.pathUuid("id", "webhook delivery"));
                    return new Reply(202, d.toJson(), "application/json");
                }));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(FIELDS);
        String url = url(in.requiredString("url", 2048));
        List<String> types = eventTypes(in);
        String description = in.string("description", null, 1000);
        Boolean enabled = in.bool("enabled", true);
        WebhookStore.Created made = store.create(c.projectId(), new WebhookStore.Spec(url,
                types == null ? List.of() : types, description, enabled));
        return Reply.created(withSecret(made));
    }

    private Reply update(Call c) {
        UUID id = id(c);
        Input in = Input.body(c.body(), false);
        in.allowOnly(FIELDS);
        String url = in.has("url") ? url(in.requiredString("url", 2048)) : null;
        List<String> types = eventTypes(in);
        boolean hasDescription = in.has("description");
        String description = in.string("description", null, 1000);
        Boolean enabled = in.bool("enabled", null);
        Webhook w = store.update(c.projectId(), id, s -> new WebhookStore.Spec(url != null ? url : s.url(),
                types != null ? types : s.eventTypes(), hasDescription ? description : s.description(),
                enabled != null ? enabled : s.enabled()));
        return Reply.ok(w.toJson());
    }

    private Reply deliveries(Call c) {
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
        var rows = store.deliveries(c.projectId(), id, status, cursor, limit);
        return Reply.ok(Page.of(rows, limit, Delivery::id).toJson(Delivery::toJson));
    }

    private String url(String url) {
        outbound.checkUrl("url", url);
        return url;
    }

    private static List<String> eventTypes(Input in) {
        List<String> types = in.strings("event_types", 100, 200);
        if (types != null) {
            for (String t : types) {
                if (!EVENT_TYPE.matcher(t).matches()) {
                    throw ApiError.invalid("event_types", "'" + t + "' is not an event type or a filter "
                            + "(run.completed, run.*, *)");
                }
            }
            types = List.copyOf(new java.util.LinkedHashSet<>(types));
        }
        return types;
    }

    private static UUID id(Call c) {
        return c.pathUuid("id", "webhook");
    }

    private static ObjectNode withSecret(WebhookStore.Created made) {
        ObjectNode n = made.webhook().toJson();
        n.put("secret", made.secret());
        return n;
    }
}
