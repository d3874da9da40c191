package io.drover.runs;

import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The /v1/jobs/{job}/trigger endpoints. Here in runs, not in jobs, because a trigger makes runs:
 * runs depends on jobs, and jobs does not know runs.
 */
public final class TriggerRoutes {
    public static final int MAX_BATCH = 1000;
    private final JobStore jobs;
    private final RunStore runs;
    private io.drover.telemetry.Tracing tracing = io.drover.telemetry.Tracing.off();

    public TriggerRoutes(JobStore jobs, RunStore runs) {
        this.jobs = jobs;
        this.runs = runs;
    }

    /** drover.trigger spans for new runs that carry a traceparent (when tracing is on). */
    public TriggerRoutes withTracing(io.drover.telemetry.Tracing t) {
        this.tracing = t;
        return this;
    }

    /**
     * The request's {@code traceparent} header, the trace context of every run it triggers that
     * names none in its body; one that is not a valid W3C traceparent is ignored (W3C Trace Context).
     */
    private static String traceparentHeader(Call c) {
        String h = c.ctx().header("traceparent");
        return h != null && TriggerRequest.validTraceparent(h.strip()) ? h.strip() : null;
    }

    private void spans(java.time.Instant started, RunStore.Triggered t) {
        java.time.Instant now = java.time.Instant.now();
        for (int i = 0; i < t.runs().size(); i++) {
            Run r = t.runs().get(i);
            if (t.created().get(i)) {
                tracing.span("drover.trigger", r.traceparent(), started, now, r.id(), r.jobSlug());
            }
        }
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/jobs/{job}/trigger", Role.OPERATOR, "Trigger one run", this::trigger),
                post("/v1/jobs/{job}/trigger/batch", Role.OPERATOR, "Trigger up to 1000 runs in one transaction",
                        this::triggerBatch));
    }

    private Job job(Call c) {
        return jobs.get(c.projectId(), c.path("job"));
    }

    private Reply trigger(Call c) {
        Job job = job(c);
        TriggerRequest req = TriggerRequest.parse(Input.body(c.body(), true))
                .withDefaultTraceparent(traceparentHeader(c));
        java.time.Instant started = tracing.on() ? java.time.Instant.now() : null;
        RunStore.Triggered t = runs.trigger(job, List.of(req), RunStore.Origin.API);
        if (started != null) {
            spans(started, t);
        }
        ObjectNode json = t.runs().get(0).toJson();
        return t.created().get(0) ? Reply.created(json) : Reply.ok(json);
    }

    private Reply triggerBatch(Call c) {
        Job job = job(c);
        Input in = Input.body(c.body(), false);
        in.allowOnly(java.util.Set.of("runs", "answer"));
        // "answer": "ids" asks for the run ids only, in order: a producer that triggers many runs
        // rarely reads them back, and 1,000 full runs are most of the work of the answer.
        boolean idsOnly = "ids".equals(in.oneOf("answer", "runs", java.util.Set.of("runs", "ids")));
        JsonNode list = in.get("runs");
        if (list == null) {
            throw ApiError.invalid("runs", "is required: an array of trigger bodies");
        }
        if (!list.isArray()) {
            throw ApiError.wrongType("runs", "an array of trigger bodies");
        }
        if (list.isEmpty() || list.size() > MAX_BATCH) {
            throw ApiError.invalid("runs", "must hold 1 to " + MAX_BATCH + " items, got " + list.size());
        }
        List<TriggerRequest> reqs = new ArrayList<>(list.size());
        String header = traceparentHeader(c);
        for (int i = 0; i < list.size(); i++) {
            try {
                reqs.add(TriggerRequest.parse(Input.body(list.get(i), false)).withDefaultTraceparent(header));
            } catch (ApiError e) {
                Map<String, Object> details = new HashMap<>(e.details());
                Object field = details.get("field");
                details.put("field", "runs[" + i + "]" + (field == null ? "" : "." + field));
                details.put("index", i);
                throw new ApiError(e.status(), e.code(), "runs[" + i + "]: " + e.getMessage(), details);
            }
        }
        java.time.Instant started = tracing.on() && !idsOnly ? java.time.Instant.now() : null;
        RunStore.Triggered t = runs.trigger(job, reqs, RunStore.Origin.API,
                idsOnly ? RunStore.Answer.IDS : RunStore.Answer.RUNS);
        if (started != null) {
            spans(started, t);
        }
        if (!idsOnly) {
            return Reply.created(Run.dataJson(t.runs()));
        }
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        t.ids().forEach(id -> arr.add(id.toString()));
        return Reply.created(out);
    }
}
