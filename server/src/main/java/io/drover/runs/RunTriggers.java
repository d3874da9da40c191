package io.drover.runs;

import io.drover.errors.Conflict;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.jobs.JobSpec;
import io.drover.store.TxEffects;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Where runs are made: a trigger (API, batch, schedule tick, workflow step) and a replay. Every
 * row is computed here, inserted with its event by one statement, admitted when its job has
 * concurrency limits, and its wake-ups, delay and metric go to the transaction's collector.
 */
final class RunTriggers {
    private final RunStore store;

    RunTriggers(RunStore store) {
        this.store = store;
    }

    RunStore.Triggered trigger(Job job, List<TriggerRequest> requests, RunStore.Origin origin, RunStore.Answer answer) {
        return store.hot().tx(c -> triggerIn(c, job, requests, origin, null, answer));
    }

    RunStore.Triggered triggerIn(Connection c, Job job, List<TriggerRequest> requests, RunStore.Origin origin,
            RunStore.StepLink link, RunStore.Answer answer) throws SQLException {
        JobSpec spec = job.spec();
        int n = requests.size();
        UUID[] ids = new UUID[n];
        String[] keys = new String[n];
        String[] payloads = new String[n];
        String[] metas = new String[n];
        Integer[] priorities = new Integer[n];
        Timestamp[] at = new Timestamp[n];
        Long[] delays = new Long[n];
        String[] concurrencyKeys = new String[n];
        UUID[] parents = new UUID[n];
        Set<UUID> parentIds = null;
        String[] traceparents = null; // only when a run carries one: the insert itself stays as it was
        // Per run, only what differs between runs: the job's default metadata is written once for
        // the runs that add none (a deep copy and a writer per run before), and the ids' random bits
        // come from one SecureRandom call for the batch.
        UuidV7.fill(ids);
        String defaultMeta = null;
        for (int i = 0; i < n; i++) {
            TriggerRequest r = requests.get(i);
            keys[i] = r.idempotencyKey();
            payloads[i] = Json.write(r.payload());
            if (r.metadata() != null) {
                var meta = spec.defaultMetadata().deepCopy();
                meta.setAll(r.metadata());
                metas[i] = Json.write(meta);
            } else {
                metas[i] = defaultMeta != null ? defaultMeta : (defaultMeta = Json.write(spec.defaultMetadata()));
            }
            priorities[i] = r.priority() != null ? r.priority() : spec.priority();
            at[i] = r.scheduledAt() == null ? null : Timestamp.from(r.scheduledAt());
            delays[i] = r.delayMs();
            concurrencyKeys[i] = r.concurrencyKey();
            parents[i] = r.parentRunId();
            if (parents[i] != null) {
                (parentIds == null ? parentIds = new HashSet<>() : parentIds).add(parents[i]);
            }
            if (r.traceparent() != null) {
                if (traceparents == null) {
                    traceparents = new String[n];
                }
                traceparents[i] = r.traceparent();
            }
        }
        if (parentIds != null) {
            Lineage.requireParents(c, job.projectId(), parentIds);
        }
        Instant hold = store.triggerGate().holdUntil(c, job.projectId(), origin.scheduleId() == null && link == null);
        if (hold != null) {
            // Held by a budget: nothing starts before the window turns (a later time asked for stays).
            Instant now = store.clock().instant();
            for (int i = 0; i < n; i++) {
                Instant asked = at[i] != null ? at[i].toInstant() : delays[i] != null ? now.plusMillis(delays[i]) : null;
                if (asked == null || asked.isBefore(hold)) {
                    at[i] = Timestamp.from(hold);
                    delays[i] = null;
                }
            }
        }
        boolean limited = spec.isLimited();
        // Runs with rate limit keys are limited (not admitted: the plain claim walk never sees them)
        // but wait for no admission: the claim's rate-limited walk takes them (runs.sql, claim).
        boolean gated = limited && !spec.isRateLimited();
        boolean whole = answer == RunStore.Answer.RUNS;
        // Without a concurrency limit the statement notifies itself (see insert_runs), naming the
        // batch's first id: claim cursors past it come back to it (ClaimCursors).
        String notify = gated ? null : spec.isHttp() ? RunStore.PUSH_QUEUE : RunStore.readyFrom(spec.queue(), ids[0]);
        Map<UUID, RunSql.Inserted> inserted = RunSql.insertRuns(c, new RunSql.NewRuns(job.projectId(), job.id(),
                spec.slug(), job.version(), spec.queue(), spec.execution(), limited, spec.maxAttempts(),
                spec.timeoutSecs(), origin.replayOf(), origin.scheduleId(), spec.ttlSecs(),
                link == null ? null : link.workflowRunId(), ids, keys, payloads, metas, priorities, at, delays,
                concurrencyKeys, link == null ? new String[n] : link.stepIds().toArray(new String[0]), notify,
                parents, origin.continuationOf(), origin.lineageDepth(),
                spec.isRateLimited() ? spec.rateLimitKeys().toArray(new String[0]) : null), whole);
        if (traceparents != null) {
            inserted = withTraceparents(c, inserted, ids, traceparents);
        }
        Map<String, Run> existing = new HashMap<>();
        if (inserted.size() < n) {
            List<String> missingKeys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (!inserted.containsKey(ids[i]) && keys[i] != null) {
                    missingKeys.add(keys[i]);
                }
            }
            for (Run run : RunSql.findByIdempotency(c, job.id(), missingKeys)) {
                existing.put(run.idempotencyKey(), run);
            }
        }
        TxEffects fx = store.db().effects(c);
        boolean anyQueued = inserted.values().stream().anyMatch(r -> r.status() == RunStatus.QUEUED);
        if (anyQueued) {
            if (gated) {
                Set<String> admitted = new HashSet<>(ConcurrencyGate.admit(c, job.id()));
                if (!admitted.isEmpty()) {
                    RunSql.notify(c, spec.isHttp() ? RunStore.PUSH_QUEUE : String.join(",", admitted));
                    fx.ready(spec.isHttp() ? Set.of(RunStore.PUSH_QUEUE) : admitted);
                }
            } else {
                fx.ready(notify); // insert_runs sent the NOTIFY
            }
        }
        List<UUID> runIds = new ArrayList<>(n);
        List<Run> runs = new ArrayList<>(whole ? n : 0);
        List<Boolean> created = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RunSql.Inserted row = inserted.get(ids[i]);
            if (row != null) {
                runIds.add(row.id());
                if (whole) {
                    runs.add(row.run());
                }
                created.add(true);
            } else {
                // Another call (or an earlier element of this batch) made the run with this key.
                Run first = existing.get(keys[i]);
                if (first == null) {
                    throw new IllegalStateException("run with idempotency key not found after conflict");
                }
                runIds.add(first.id());
                if (whole) {
                    runs.add(first);
                }
                created.add(false);
            }
        }
        fx.count(TxEffects.Count.ENQUEUED, inserted.size());
        fx.enqueued(spec.slug(), spec.queue(), inserted.size());
        inserted.values().stream().filter(r -> r.status() == RunStatus.DELAYED)
                .map(RunSql.Inserted::scheduledAt).min(Instant::compareTo).ifPresent(fx::delayed);
        return new RunStore.Triggered(runIds, runs, created);
    }

    /**
     * Writes the trace contexts of the runs just inserted (not of runs an idempotency key found),
     * in the trigger's transaction, before any claimer can see them; one UPDATE, made only when a
     * run of the trigger carries one, so that triggers without trace context cost nothing more.
     */
    private static Map<UUID, RunSql.Inserted> withTraceparents(Connection c, Map<UUID, RunSql.Inserted> inserted,
            UUID[] ids, String[] traceparents) throws SQLException {
        List<UUID> setIds = new ArrayList<>();
        List<String> setTps = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (traceparents[i] != null && inserted.containsKey(ids[i])) {
                setIds.add(ids[i]);
                setTps.add(traceparents[i]);
            }
        }
        if (setIds.isEmpty()) {
            return inserted;
        }
        try (var q = SET_TRACEPARENTS.prepare(c)) {
            q.setArray("ids", "uuid", setIds.toArray()).setArray("traceparents", "text", setTps.toArray()).update();
        }
        Map<UUID, RunSql.Inserted> out = new java.util.LinkedHashMap<>(inserted);
        for (int i = 0; i < setIds.size(); i++) {
            RunSql.Inserted row = out.get(setIds.get(i));
            out.put(row.id(), new RunSql.Inserted(row.id(), row.status(), row.scheduledAt(),
                    row.run() == null ? null : row.run().withTraceparent(setTps.get(i))));
        }
        return out;
    }

    private static final io.drover.store.Statement SET_TRACEPARENTS = RunSql.SQL.statement("set_traceparents");

    /** Replays a settled run: a dead-lettered run is queued again; a terminal one gets a new run. */
    RunStore.Replayed replay(UUID projectId, UUID runId, Job currentJob) {
        Run run = store.get(projectId, runId);
        if (run.status() == RunStatus.DEAD_LETTER) {
            return new RunStore.Replayed(store.change(projectId, runId,
                    (c, locked) -> Transitions.replayDeadLetter(locked.run()),
                    (c, before, after) -> store.audit(c, before.projectId(), "run.replay", runId,
                            Json.object().put("from", before.status().db()).put("new_run", false))), false);
        }
        if (!run.status().isTerminal()) {
            throw new Conflict("illegal_transition", "run is " + run.status().db()
                    + "; only dead-lettered or finished runs can be replayed", Map.of("from", run.status().db()));
        }
        if (currentJob == null) {
            throw new Conflict("job_deleted", "the run's job was deleted; it cannot be replayed", Map.of());
        }
        var meta = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(run.metadata());
        TriggerRequest req = new TriggerRequest(Json.read(run.payload()), meta, null, null, null, run.priority(),
                run.concurrencyKey());
        RunStore.Triggered t = store.db().tx(c -> {
            RunStore.Triggered p = triggerIn(c, currentJob, List.of(req), new RunStore.Origin(run.id(), null), null,
                    RunStore.Answer.RUNS);
            store.audit(c, run.projectId(), "run.replay", run.id(), Json.object().put("from", run.status().db())
                    .put("new_run", true).put("new_run_id", p.runs().get(0).id().toString()));
            return p;
        });
        return new RunStore.Replayed(t.runs().get(0), true);
    }

    /**
     * Replays one run inside a caller's transaction (a batch replay), as {@link #replay} does for
     * one: a dead-lettered run is queued again, a finished one gets a new run of its job's current
     * version. False, with nothing changed, when another transaction holds the run, it is of
     * another project, it is not dead-lettered or finished, or its job was deleted.
     */
    boolean replayIn(Connection c, UUID projectId, UUID runId) throws SQLException {
        java.util.Optional<RunStore.Locked> locked = RunSql.lockSkipLocked(c, runId);
        if (locked.isEmpty() || !locked.get().run().projectId().equals(projectId)) {
            return false;
        }
        Run run = locked.get().run();
        if (run.status() == RunStatus.DEAD_LETTER) {
            Run after = store.changes().apply(c, run, Transitions.replayDeadLetter(run));
            store.changes().admit(c, after);
            return true;
        }
        if (!run.status().isTerminal()) {
            return false;
        }
        Job job = store.jobs().find(c, projectId, run.jobId().toString(), false).orElse(null);
        if (job == null) {
            return false;
        }
        var meta = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(run.metadata());
        TriggerRequest req = new TriggerRequest(Json.read(run.payload()), meta, null, null, null, run.priority(),
                run.concurrencyKey());
        triggerIn(c, job, List.of(req), new RunStore.Origin(run.id(), null), null, RunStore.Answer.IDS);
        return true;
    }
}
