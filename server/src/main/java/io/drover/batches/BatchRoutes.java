package io.drover.batches;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

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
import io.drover.runs.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/runs/cancel} and {@code POST /v1/runs/replay} (operator): {@code {filter,
 * confirm_count}} makes a batch worked off in the background, 202 {@code {batch_id, matched}};
 * refused with 409 {@code confirm_count_mismatch} (with the count now) when the filter matches
 * another number of runs. {@code GET /v1/batches/{id}} (viewer) shows its progress.
 */
public final class BatchRoutes {
    private static final Set<String> FILTER_FIELDS = Set.of("job", "status", "queue", "created_after",
            "created_before");
    private final BatchStore store;
    private final JobStore jobs;
    private final Runnable wake;

    public BatchRoutes(BatchStore store, JobStore jobs, Runnable wake) {
        this.store = store;
        this.jobs = jobs;
        this.wake = wake;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/runs/cancel", Role.OPERATOR, "Cancel the runs a filter matches, in the background: "
                        + "{filter: {job, status, queue, created_after, created_before}, confirm_count} -> 202 "
                        + "{batch_id, matched}", c -> create(c, "cancel")),
                post("/v1/runs/replay", Role.OPERATOR, "Replay the runs a filter matches, in the background: "
                        + "{filter, confirm_count} -> 202 {batch_id, matched}", c -> create(c, "replay")),
                get("/v1/batches/{id}", Role.VIEWER, "A batch cancel or replay: {status, matched, done, failed}",
                        c -> Reply.ok(store.get(c.projectId(), c.pathUuid("id", "batch")).toJson())));
    }

    private Reply create(Call c, String kind) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("filter", "confirm_count"));
        ObjectNode f = in.object("filter");
        if (f == null) {
            throw ApiError.invalid("filter", "is required (an object; {} matches every run of the project)");
        }
        Integer confirm = in.intValue("confirm_count", null, 0, Integer.MAX_VALUE);
        if (confirm == null) {
            throw ApiError.invalid("confirm_count", "is required: the number of runs the filter matches now");
        }
        Input fin = Input.of(f, "filter");
        fin.allowOnly(FILTER_FIELDS);
        String jobRef = fin.string("job", null, 200);
        Job job = null;
        if (jobRef != null) {
            job = jobs.find(c.projectId(), jobRef);
            if (job == null) {
                throw ApiError.invalid("filter.job", "no job '" + jobRef + "' in this project");
            }
        }
        String status = fin.string("status", null, 40);
        if (status != null) {
            RunStatus s = RunStatus.parse(status);
            if (s == null) {
                throw ApiError.invalid("filter.status", "'" + status + "' is not a run status");
            }
        }
        String queue = fin.string("queue", null, 100);
        Instant after = fin.instant("created_after");
        Instant before = fin.instant("created_before");
        if (after != null && before != null && !after.isBefore(before)) {
            throw ApiError.invalid("filter.created_before", "must be after created_after");
        }
        Batch b = store.create(c.projectId(), kind, new BatchFilter(job == null ? null : job.id(),
                job == null ? null : job.spec().slug(), status, queue, after, before), confirm);
        if (!b.status().equals("done")) {
            wake.run();
        }
        return new Reply(202, Json.object().put("batch_id", b.id().toString()).put("matched", b.matched())
                .put("status", b.status()), "application/json");
    }
}
