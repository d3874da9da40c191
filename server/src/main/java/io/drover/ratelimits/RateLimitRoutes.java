package io.drover.ratelimits;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.jobs.JobSpec;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/rate-limits} (admin) creates or changes a named rate limit, by key: 201 when
 * created, 200 when changed. {@code GET /v1/rate-limits} (viewer) lists them with the starts
 * counted in the current window.
 */
public final class RateLimitRoutes {
    private static final long MAX_PERIOD_MS = 24L * 3600 * 1000;
    private final RateLimitStore store;

    public RateLimitRoutes(RateLimitStore store) {
        this.store = store;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/rate-limits", Role.ADMIN,
                        "Create or change a named rate limit {key, limit, period_ms}: at most limit runs of the "
                                + "jobs naming key (rate_limit_keys) start per period_ms, on all nodes together",
                        this::upsert),
                get("/v1/rate-limits", Role.VIEWER, "The project's named rate limits", c -> {
                    ObjectNode out = Json.object();
                    ArrayNode data = out.putArray("data");
                    store.list(c.projectId()).forEach(l -> data.add(l.toJson()));
                    out.putNull("next_cursor");
                    return Reply.ok(out);
                }));
    }

    private Reply upsert(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("key", "limit", "period_ms"));
        String key = in.requiredString("key", 100);
        if (!JobSpec.RATE_LIMIT_KEY.matcher(key).matches()) {
            throw ApiError.invalid("key", "must match [A-Za-z0-9][A-Za-z0-9._:-]* (at most 100 characters)");
        }
        Integer limit = in.intValue("limit", null, 1, 1_000_000);
        if (limit == null) {
            throw ApiError.invalid("limit", "is required");
        }
        Long period = in.longValue("period_ms", null, 1, MAX_PERIOD_MS);
        if (period == null) {
            throw ApiError.invalid("period_ms", "is required");
        }
        RateLimitStore.Saved saved = store.upsert(c.projectId(), key, limit, period);
        return saved.created() ? Reply.created(saved.limit().toJson()) : Reply.ok(saved.limit().toJson());
    }
}
