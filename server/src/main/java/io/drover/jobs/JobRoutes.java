package io.drover.jobs;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.patch;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.identity.Role;
import io.drover.runs.Run;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The /v1/jobs endpoints: definitions, versions and triggers. */
public final class JobRoutes {
    public static final int MAX_BATCH = 1000;
    private final JobStore jobs;
    private final RunStore runs;

    public JobRoutes(JobStore jobs, RunStore runs) {
        this.jobs = jobs;
        this.runs = runs;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/jobs", Role.ADMIN, "Create a job", this::create),
                get("/v1/jobs", Role.VIEWER, "List jobs", this::list),
                get("/v1/jobs/{job}", Role.VIEWER, "Get a job by id or slug", c -> Reply.ok(job(c).toJson())),
                patch("/v1/jobs/{job}", Role.ADMIN, "Change a job (makes a new version)", this::update),
                delete("/v1/jobs/{job}", Role.ADMIN, "Delete a job (its runs are kept)", this::remove),
                get("/v1/jobs/{job}/versions", Role.VIEWER, "List a job's versions", this::versions),
                post("/v1/jobs/{job}/trigger", Role.OPERATOR, "Trigger one run", this::trigger),
                post("/v1/jobs/{job}/trigger/batch", Role.OPERATOR, "Trigger up to 1000 runs in one transaction",
                        this::triggerBatch));
    }

    private Job job(Call c) {
        return jobs.get(c.projectId(), c.path("job"));
    }

    private Reply create(Call c) {
        JobSpec spec = JobSpec.parse(c.body(), null);
        JobStore.Created created = jobs.create(c.projectId(), spec);
        ObjectNode json = created.job().toJson();
        if (created.signingSecret() != null) {
            json.put("signing_secret", created.signingSecret()); // shown once
        }
        return Reply.created(json);
    }

    private Reply list(Call c) {
        Page<Job> page = jobs.list(c.projectId(), Page.decode(c.query("cursor")), Page.limit(c.query("limit")));
        return Reply.ok(page.toJson(Job::toJson));
    }

    private Reply update(Call c) {
        JsonNode body = c.body();
        return Reply.ok(jobs.update(c.projectId(), c.path("job"), body).toJson());
    }

    private Reply remove(Call c) {
        ObjectNode json = jobs.delete(c.projectId(), c.path("job")).toJson();
        json.put("deleted", true);
        return Reply.ok(json);
    }

    /** A list like the others (limit, cursor): the cursor is the last version shown. */
    private Reply versions(Call c) {
        int limit = Page.limit(c.query("limit"));
        int before = decodeVersion(c.query("cursor"));
        List<Job> versions = jobs.versions(c.projectId(), c.path("job"), before, limit + 1);
        boolean more = versions.size() > limit;
        List<Job> page = more ? versions.subList(0, limit) : versions;
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        page.forEach(v -> arr.add(v.toJson()));
        out.put("next_cursor", more ? encodeVersion(page.get(page.size() - 1).version()) : null);
        return Reply.ok(out);
    }

    static String encodeVersion(int version) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v" + version).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    static int decodeVersion(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return Integer.MAX_VALUE;
        }
        try {
            String s = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.US_ASCII);
            if (s.startsWith("v")) {
                return Integer.parseInt(s.substring(1));
            }
        } catch (IllegalArgumentException e) {
            // fall through (NumberFormatException is one)
        }
        throw new ApiError(400, "invalid_cursor", "cursor is not one this server issued", Map.of("parameter", "cursor"));
    }

    private Reply trigger(Call c) {
        Job job = job(c);
        TriggerRequest req = TriggerRequest.parse(Input.body(c.body(), true));
        RunStore.Triggered t = runs.trigger(job, List.of(req), RunStore.Origin.API);
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
        for (int i = 0; i < list.size(); i++) {
            try {
                reqs.add(TriggerRequest.parse(Input.body(list.get(i), false)));
            } catch (ApiError e) {
                Map<String, Object> details = new HashMap<>(e.details());
                Object field = details.get("field");
                details.put("field", "runs[" + i + "]" + (field == null ? "" : "." + field));
                details.put("index", i);
                throw new ApiError(e.status(), e.code(), "runs[" + i + "]: " + e.getMessage(), details);
            }
        }
        RunStore.Triggered t = runs.trigger(job, reqs, RunStore.Origin.API,
                idsOnly ? RunStore.Answer.IDS : RunStore.Answer.RUNS);
        if (!idsOnly) {
            return Reply.created(Run.dataJson(t.runs()));
        }
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        t.ids().forEach(id -> arr.add(id.toString()));
        return Reply.created(out);
    }
}
