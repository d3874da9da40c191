package io.drover.slos;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Service level objectives of jobs (API.md "Usage, cost, budgets, metrics, SLOs"). */
public final class SloRoutes {
    /** The longest duration target: 30 days, in milliseconds (the histogram's last bucket). */
    static final double MAX_DURATION_MS = 30L * 24 * 3600 * 1000;
    static final int DEFAULT_WINDOW_DAYS = 30;
    static final int MAX_WINDOW_DAYS = 90;

    private final SloStore store;
    private final JobStore jobs;

    public SloRoutes(SloStore store, JobStore jobs) {
        this.store = store;
        this.jobs = jobs;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/jobs/{job}/slos", Role.ADMIN, "Create an SLO of the job {name, metric: success_rate|"
                        + "duration_p95_ms|duration_p99_ms, target, window_days}", this::create),
                get("/v1/slos", Role.VIEWER, "The project's SLOs with their last evaluation, newest first (job, "
                        + "limit, cursor)", this::list),
                get("/v1/slos/{id}", Role.VIEWER, "An SLO: status (ok|warning|breached), current_value, "
                        + "budget_remaining, burn_rate_1h, burn_rate_6h", c -> Reply.ok(store.get(c.projectId(),
                                id(c)).toJson())),
                delete("/v1/slos/{id}", Role.ADMIN, "Delete an SLO and its history", c -> {
                    store.delete(c.projectId(), id(c));
                    return Reply.ok(io.drover.http.Json.object().put("deleted", true));
                }),
                get("/v1/slos/{id}/evaluations", Role.VIEWER, "An SLO's evaluations, newest first (limit, cursor)",
                        this::evaluations));
    }

    private static UUID id(Call c) {
        return c.pathUuid("id", "slo");
    }

    private Reply create(Call c) {
        Job job = jobs.get(c.projectId(), c.path("job"));
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("name", "metric", "target", "window_days"));
        String name = in.requiredNonBlank("name", 200).strip();
        String metric = in.oneOf("metric", null, Slo.METRICS);
        if (metric == null) {
            throw ApiError.invalid("metric", "is required: success_rate, duration_p95_ms or duration_p99_ms");
        }
        JsonNode t = in.get("target");
        if (t == null || t.isNull()) {
            throw ApiError.invalid("target", "is required");
        }
        if (!t.isNumber()) {
            throw ApiError.wrongType("target", "a number");
        }
        double target = t.asDouble();
        if (Slo.SUCCESS_RATE.equals(metric)) {
            if (!(target > 0 && target < 1)) {
                throw ApiError.invalid("target", "a success rate is a fraction above 0 and below 1, such as 0.99");
            }
        } else if (!(target > 0 && target <= MAX_DURATION_MS)) {
            throw ApiError.invalid("target", "a duration in milliseconds above 0 and at most " + (long) MAX_DURATION_MS);
        }
        int windowDays = in.intValue("window_days", DEFAULT_WINDOW_DAYS, 1, MAX_WINDOW_DAYS);
        return Reply.created(store.create(c.projectId(), job, name, metric, target, windowDays).toJson());
    }

    private Reply list(Call c) {
        int limit = Page.limit(c.query("limit"));
        UUID cursor = Page.decode(c.query("cursor"));
        String jobRef = c.query("job");
        UUID jobId = jobRef == null || jobRef.isEmpty() ? null : jobs.get(c.projectId(), jobRef).id();
        return Reply.ok(Page.of(store.list(c.projectId(), jobId, cursor, limit), limit, Slo::id).toJson(Slo::toJson));
    }

    private Reply evaluations(Call c) {
        int limit = Page.limit(c.query("limit"));
        UUID cursor = Page.decode(c.query("cursor"));
        return Reply.ok(Page.of(store.evaluations(c.projectId(), id(c), cursor, limit), limit,
                SloStore.Evaluation::id).toJson(SloStore.Evaluation::toJson));
    }
}
