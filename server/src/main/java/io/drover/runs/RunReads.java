package io.drover.runs;

import io.drover.errors.NotFound;
import io.drover.http.Page;
import java.util.List;
import java.util.UUID;

/** Runs and their events as the API reads them; nothing here changes a run. */
final class RunReads {
    private final RunStore store;

    RunReads(RunStore store) {
        this.store = store;
    }

    Run get(UUID projectId, UUID runId) {
        return store.db().read(c -> RunReadSql.get(c, projectId, runId))
                .orElseThrow(() -> new NotFound("run", runId.toString()));
    }

    /**
     * Runs of a project, newest first, optionally of one job and in one state; a page of {@code limit}
     * after {@code cursor} (the last id of the previous page). Every run and the completed ones come
     * from run_list; the other states from the runs table's own indexes (see list_runs in runs.sql).
     */
    Page<Run> list(UUID projectId, UUID jobId, RunStatus status, UUID cursor, int limit) {
        return store.db().read(c -> RunReadSql.list(c, projectId, jobId, status, cursor, limit));
    }

    /** As {@link #list}, only the children of {@code parentId} (404 when the project has no such run). */
    Page<Run> children(UUID projectId, UUID parentId, UUID jobId, RunStatus status, UUID cursor, int limit) {
        return store.db().read(c -> {
            if (RunReadSql.get(c, projectId, parentId).isEmpty()) {
                throw new NotFound("run", parentId.toString());
            }
            return RunReadSql.list(c, projectId, jobId, status, parentId, cursor, limit);
        });
    }

    /** A run's events in order, after {@code afterSeq}; the next cursor is the last seq. */
    List<RunEvent> events(UUID projectId, UUID runId, long afterSeq, int limit) {
        return store.db().read(c -> {
            if (RunReadSql.get(c, projectId, runId).isEmpty()) {
                throw new NotFound("run", runId.toString());
            }
            return RunReadSql.events(c, projectId, runId, afterSeq, limit);
        });
    }
}
