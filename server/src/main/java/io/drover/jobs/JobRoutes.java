package io.drover.jobs;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.patch;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.List;
import java.util.Map;

/** The /v1/jobs endpoints: definitions and versions (triggers: {@code io.drover.runs.TriggerRoutes}). */
public final class JobRoutes {
    private final JobStore jobs;

    public JobRoutes(JobStore jobs) {
        this.jobs = jobs;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/jobs", Role.ADMIN, "Create a job", this::create),
                get("/v1/jobs", Role.VIEWER, "List jobs", this::list),
                get("/v1/jobs/{job}", Role.VIEWER, "Get a job by id or slug", c -> Reply.ok(job(c).toJson())),
                patch("/v1/jobs/{job}", Role.ADMIN, "Change a job (makes a new version)", this::update),
                delete("/v1/jobs/{job}", Role.ADMIN, "Delete a job (its runs are kept)", this::remove),
                get("/v1/jobs/{job}/versions", Role.VIEWER, "List a job's versions", this::versions));
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
}
