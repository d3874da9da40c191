package io.drover.runs;

import static io.drover.http.Route.get;
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
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The /v1/runs endpoints for people and scripts: list, get, events, cancel, replay. */
public final class RunRoutes {
    private final RunStore runs;
    private final JobStore jobs;
    private final io.drover.redact.Outlets outlets;

    public RunRoutes(RunStore runs, JobStore jobs, io.drover.redact.Outlets outlets) {
        this.runs = runs;
        this.jobs = jobs;
        this.outlets = outlets;
    }

    public List<Route> routes() {
        return List.of(
                get("/v1/runs", Role.VIEWER, "List runs (filters: job, status, parent)", this::list),
                get("/v1/runs/{id}", Role.VIEWER, "Get a run",
                        c -> Reply.ok(outlets.run(c.principal(), runs.get(c.projectId(), c.pathUuid("id", "run")).toJson()))),
                get("/v1/runs/{id}/events", Role.VIEWER, "A run's events, in order", this::events),
                post("/v1/runs/{id}/cancel", Role.OPERATOR, "Cancel a run", c -> {
                    UUID id = c.pathUuid("id", "run");
                    noFields(c);
                    return Reply.ok(runs.cancel(c.projectId(), id).toJson());
                }),
                post("/v1/runs/{id}/replay", Role.OPERATOR, "Replay a dead-lettered or finished run", this::replay));
    }

    private Reply list(Call c) {
        UUID jobId = null;
        String job = c.query("job");
        if (job != null && !job.isEmpty()) {
            jobId = JobStore.parseUuid(job);
            if (jobId == null) {
                jobId = jobs.get(c.projectId(), job).id();
            }
        }
        RunStatus status = null;
        String s = c.query("status");
        if (s != null && !s.isEmpty()) {
            status = RunStatus.parse(s);
            if (status == null) {
                throw new ApiError(400, "invalid_parameter", "status must be one of the run states, got '"
                        + (s.length() > 40 ? s.substring(0, 40) : s) + "'", Map.of("parameter", "status"));
            }
        }
        UUID parent = null;
        String p = c.query("parent");
        if (p != null && !p.isEmpty()) {
            parent = JobStore.parseUuid(p);
            if (parent == null) {
                throw new ApiError(400, "invalid_parameter", "parent must be a run id", Map.of("parameter", "parent"));
            }
        }
        Page<Run> page = parent != null
                ? runs.listChildren(c.projectId(), parent, jobId, status, Page.decode(c.query("cursor")),
                        Page.limit(c.query("limit")))
                : runs.list(c.projectId(), jobId, status, Page.decode(c.query("cursor")), Page.limit(c.query("limit")));
        return Reply.ok(page.toJson(r -> outlets.run(c.principal(), r.toJson())));
    }

    private Reply events(Call c) {
        UUID id = c.pathUuid("id", "run");
        int limit = c.query("limit") == null ? Page.MAX_LIMIT : Page.limit(c.query("limit"));
        long after = decodeSeq(c.query("cursor"));
        List<RunEvent> events = runs.events(c.projectId(), id, after, limit + 1);
        boolean more = events.size() > limit;
        List<RunEvent> page = more ? events.subList(0, limit) : events;
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        page.forEach(e -> arr.add(outlets.event(c.principal(), e.toJson())));
        out.put("next_cursor", more ? encodeSeq(page.get(page.size() - 1).seq()) : null);
        return Reply.ok(out);
    }

    /** Cancel and replay take no fields: an empty body or {}; anything else is refused before acting. */
    private static void noFields(Call c) {
        Input.body(c.body(), true).allowOnly(Set.of());
    }

    private Reply replay(Call c) {
        UUID id = c.pathUuid("id", "run");
        noFields(c);
        Run run = runs.get(c.projectId(), id);
        Job job = jobs.find(c.projectId(), run.jobId().toString());
        RunStore.Replayed r = runs.replay(c.projectId(), id, job);
        return Reply.created(r.run().toJson());
    }

    static String encodeSeq(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("s" + seq).getBytes(StandardCharsets.US_ASCII));
    }

    static long decodeSeq(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            if (s.startsWith("s")) {
                return Long.parseLong(s.substring(1));
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw new ApiError(400, "invalid_cursor", "cursor is not one this server issued", Map.of("parameter", "cursor"));
    }
}
