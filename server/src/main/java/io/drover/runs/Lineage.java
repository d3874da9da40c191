package io.drover.runs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.Conflict;
import io.drover.errors.Invalid;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.store.Query;
import io.drover.store.Statement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Child runs and continuations. A run names its parent at its trigger ({@code parent_run_id}); a
 * parent its worker holds may wait for its children without keeping the worker
 * ({@link #waitForChildren}: executing -> waiting, no worker, no lease), and the transaction that
 * settles its last open child puts it back in its queue ({@link #childrenSettled}: waiting ->
 * queued), whichever path settles the child (a report, a cancel, the reaper, a continuation). Its
 * claims from then on carry its children ({@link #children}). A continuation ({@link #continueRun})
 * completes a held run and makes the next run of its job in one transaction.
 */
final class Lineage {
    private static final Statement EXISTING_RUNS = RunSql.SQL.statement("existing_runs");
    private static final Statement LOCK_PARENTS = RunSql.SQL.statement("lock_parents");
    private static final Statement OPEN_CHILD = RunSql.SQL.statement("open_child");
    private static final Statement SET_WAITS_FOR = RunSql.SQL.statement("set_waits_for");
    private static final Statement CHILDREN_OF = RunSql.SQL.statement("children_of");

    private final RunStore store;

    Lineage(RunStore store) {
        this.store = store;
    }

    /** Refuses (404) a trigger that names a parent run its project does not have. */
    static void requireParents(Connection c, UUID projectId, Set<UUID> parentIds) throws SQLException {
        Set<UUID> found = new HashSet<>();
        try (Query q = EXISTING_RUNS.prepare(c)) {
            q.setArray("run_ids", "uuid", parentIds.toArray()).set("project_id", projectId);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    found.add(rs.getObject(1, UUID.class));
                }
            }
        }
        for (UUID id : new TreeSet<>(parentIds)) {
            if (!found.contains(id)) {
                throw new NotFound("run", id.toString());
            }
        }
    }

    /**
     * Children of these parents settled in the caller's transaction: each parent is locked (in id
     * order), and one that waits for its children and has none open left is queued again. See
     * {@code lock_parents} in runs.sql for why this is exact when children settle at once.
     */
    void childrenSettled(Connection c, Collection<UUID> parentIds) throws SQLException {
        if (parentIds.isEmpty()) {
            return;
        }
        List<RunStore.Locked> parents = new ArrayList<>();
        try (Query q = LOCK_PARENTS.prepare(c)) {
            q.setArray("run_ids", "uuid", new TreeSet<>(parentIds).toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    parents.add(new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
                }
            }
        }
        for (RunStore.Locked p : parents) {
            if (waitsForChildren(p.run()) && !hasOpenChild(c, p.run().id())) {
                resume(c, p.run());
            }
        }
    }

    private static boolean waitsForChildren(Run r) {
        return r.status() == RunStatus.WAITING && Run.WAITS_CHILDREN.equals(r.waitsFor());
    }

    /** The parents of the settled runs among {@code written}. */
    static Set<UUID> parentsOfSettled(Collection<Run> written) {
        Set<UUID> parents = new HashSet<>();
        for (Run r : written) {
            if (r.parentRunId() != null && RunChanges.isSettled(r.status())) {
                parents.add(r.parentRunId());
            }
        }
        return parents;
    }

    private static boolean hasOpenChild(Connection c, UUID runId) throws SQLException {
        try (Query q = OPEN_CHILD.prepare(c)) {
            q.set("run_id", runId);
            try (ResultSet rs = q.query()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static Run setWaitsFor(Connection c, UUID runId, String waitsFor) throws SQLException {
        try (Query q = SET_WAITS_FOR.prepare(c)) {
            q.set("run_id", runId).set("waits_for", waitsFor, Types.VARCHAR);
            return RunSql.all(q).get(0);
        }
    }

    /** waiting -> queued, with its event; the parent's claims from now on carry its children. */
    private Run resume(Connection c, Run parent) throws SQLException {
        Run after = store.changes().apply(c, parent, Transitions.childrenSettled(parent));
        after = setWaitsFor(c, after.id(), Run.CHILDREN_SETTLED);
        store.changes().admit(c, after);
        return after;
    }

    /**
     * The holder of an executing run lets go of it until its children settle: executing -> waiting,
     * without a worker or a lease. With no child open (none made, or all settled already) it is
     * queued again at once, in the same transaction.
     */
    Run waitForChildren(UUID projectId, UUID runId, String workerId) {
        return store.db().tx(c -> {
            RunStore.Locked locked = RunSql.lock(c, projectId, runId)
                    .orElseThrow(() -> new NotFound("run", runId.toString()));
            Run r = locked.run();
            requireHeld(r, workerId);
            Run waiting = store.changes().apply(c, r, Transitions.waitForChildren(r));
            waiting = setWaitsFor(c, runId, Run.WAITS_CHILDREN);
            store.changes().admit(c, waiting);
            if (!hasOpenChild(c, runId)) {
                return resume(c, waiting);
            }
            return waiting;
        });
    }

    /**
     * Completes a held run and makes its continuation, in one transaction: the next run of the same
     * job (as it is now), with {@code payload}, after {@code delayMs}, one deeper in the lineage and
     * a child of the same parent (so a parent waiting for the run waits for its continuation too).
     * Refused (422, nothing changed) when the continuation would be deeper than {@code maxDepth}.
     */
    Run continueRun(UUID projectId, UUID runId, String workerId, com.fasterxml.jackson.databind.JsonNode payload,
            Long delayMs, int maxDepth) {
        return store.db().tx(c -> {
            RunStore.Locked locked = RunSql.lock(c, projectId, runId)
                    .orElseThrow(() -> new NotFound("run", runId.toString()));
            Run r = locked.run();
            requireHeld(r, workerId);
            if (r.workflowRunId() != null) {
                throw new Conflict("workflow_step", "a workflow step's run cannot continue; its workflow moves on",
                        Map.of("workflow_run_id", r.workflowRunId().toString()));
            }
            int depth = r.depth() + 1;
            if (depth > maxDepth) {
                throw new Invalid("lineage_depth_exceeded", "the continuation would be at lineage depth " + depth
                        + ", deeper than the maximum " + maxDepth + " (DROVER_MAX_LINEAGE_DEPTH)",
                        Map.of("lineage_depth", r.depth(), "max_lineage_depth", maxDepth));
            }
            Job job = store.jobs().find(c, projectId, r.jobId().toString(), false).orElse(null);
            if (job == null) {
                throw new Conflict("job_deleted", "the run's job was deleted; it cannot continue", Map.of());
            }
            ObjectNode meta = (ObjectNode) Json.read(r.metadata());
            TriggerRequest req = new TriggerRequest(payload == null ? Json.MAPPER.nullNode() : payload, meta, null,
                    delayMs, null, r.priority(), r.concurrencyKey(), r.parentRunId(), r.traceparent());
            // The continuation first: when the run settles below, its parent sees the continuation open.
            Run next = store.triggerIn(c, job, List.of(req), new RunStore.Origin(null, null, r.id(), depth))
                    .runs().get(0);
            String result = Json.write(Json.object().put("continuation", next.id().toString()));
            store.changes().apply(c, r, Transitions.continued(r, result, next.id(), locked.now()));
            store.changes().admit(c, store.get(c, projectId, runId).orElseThrow());
            store.audit(c, projectId, "run.continue", runId, Json.object().put("continuation", next.id().toString())
                    .put("lineage_depth", depth));
            return next;
        });
    }

    private static void requireHeld(Run r, String workerId) {
        if (r.status() != RunStatus.EXECUTING || !workerId.equals(r.workerId())) {
            throw new Conflict("not_held", "run is " + r.status().db() + "; this worker does not hold it",
                    Map.of("status", r.status().db()));
        }
    }

    /** One settled child, as a resumed parent's claim carries it. */
    record Child(UUID id, RunStatus status, String result, String error) {}

    /** The children of these runs, oldest first, by parent (read only). */
    Map<UUID, List<Child>> children(UUID projectId, Collection<UUID> parentIds) {
        return store.db().read(c -> {
            Map<UUID, List<Child>> out = new LinkedHashMap<>();
            try (Query q = CHILDREN_OF.prepare(c)) {
                q.setArray("run_ids", "uuid", parentIds.toArray()).set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.computeIfAbsent(rs.getObject(1, UUID.class), k -> new ArrayList<>())
                                .add(new Child(rs.getObject(2, UUID.class), RunStatus.fromDb(rs.getString(3)),
                                        rs.getString(4), rs.getString(5)));
                    }
                }
            }
            return out;
        });
    }

    /** {@code [{id, status, result, error}, ...]}. */
    static ArrayNode childrenJson(List<Child> children) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (Child ch : children == null ? List.<Child>of() : children) {
            ObjectNode n = arr.addObject().put("id", ch.id().toString()).put("status", ch.status().db());
            n.set("result", ch.result() == null ? Json.MAPPER.nullNode() : Json.read(ch.result()));
            n.set("error", ch.error() == null ? Json.MAPPER.nullNode() : Json.read(ch.error()));
        }
        return arr;
    }

    /** Whether any of these claimed runs was resumed after its children settled. */
    static boolean anyResumed(List<Run> runs) {
        for (Run r : runs) {
            if (Run.CHILDREN_SETTLED.equals(r.waitsFor())) {
                return true;
            }
        }
        return false;
    }
}
