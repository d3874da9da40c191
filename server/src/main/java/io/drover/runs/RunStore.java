package io.drover.runs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.metrics.QueueMetrics;
import io.drover.store.Db;
import io.drover.store.TxEffects;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The one way runs are created, claimed, completed and moved: the API, the worker protocol, the
 * push dispatcher, the reaper, the schedules and the workflow engine all go through here. Each
 * concern has its class, and this one hands each call to it:
 * <ul>
 * <li>{@link RunTriggers}: runs are made (trigger, batch, schedule tick, workflow step, replay);
 * <li>{@link RunClaims}: runs are claimed (worker claim, push take) and their leases kept;
 * <li>{@link RunCompletions}: attempts end (results and failures, retry or dead letter);
 * <li>{@link RunChanges}: one run changes (cancel, release, wait, resume, push moves, reaper);
 * <li>{@link RunReads}: runs and events are read;
 * <li>{@link RunSql} and {@link RunReadSql}: the statements of {@code sql/runs.sql}, and nothing else.
 * </ul>
 * Pure transition logic is in {@link Transitions}. What a transaction made ready, delayed or
 * counted is collected in its {@link TxEffects} and handed on after the commit by
 * {@link #onCommit}, which {@code DroverServer} registers on the {@link Db}.
 */
public final class RunStore {
    /** The wake-up name the push dispatcher listens for (queue names cannot start with '!'). */
    public static final String PUSH_QUEUE = "!http";

    private final Db db;
    /** The queue pool (Db.queue()): trigger, claim, heartbeat and completion, planned once per connection. */
    private final Db hot;
    private final JobStore jobs;
    private final QueueMetrics metrics;
    private final InstantSource clock;
    private final RunTriggers triggers = new RunTriggers(this);
    private final RunClaims claims = new RunClaims(this);
    private final RunCompletions completions = new RunCompletions(this);
    private final RunChanges changes = new RunChanges(this);
    private final RunReads reads = new RunReads(this);
    private final Lineage lineage = new Lineage(this);
    private volatile int maxLineageDepth = 100;
    private final RunRecords records = new RunRecords(this);
    private volatile QueueEvents events = QueueEvents.NONE;
    private volatile ClaimCursors cursors = new ClaimCursors();
    private volatile RunSettledHook settledHook = RunSettledHook.NONE;
    private volatile TriggerGate triggerGate = TriggerGate.NONE;
    private volatile AuditLog audit;

    public RunStore(Db db, JobStore jobs, QueueMetrics metrics) {
        this(db, jobs, metrics, InstantSource.system());
    }

    public RunStore(Db db, JobStore jobs, QueueMetrics metrics, InstantSource clock) {
        this.db = db;
        this.hot = db.queue();
        this.jobs = jobs;
        this.metrics = metrics;
        this.clock = clock;
    }

    public void setEvents(QueueEvents events) {
        this.events = events;
    }

    /** Operator actions (cancel, replay) append their audit row in their own transaction. */
    public void setAudit(AuditLog audit) {
        this.audit = audit;
    }

    /** Who hears about settled workflow-step runs, in the settling transaction (the workflow engine). */
    public void setSettledHook(RunSettledHook hook) {
        this.settledHook = hook;
    }

    /** Who may refuse or hold new runs, in the trigger's transaction (budgets). */
    public void setTriggerGate(TriggerGate gate) {
        this.triggerGate = gate;
    }

    TriggerGate triggerGate() {
        return triggerGate;
    }

    // ------------------------------------------------------------------------------ after commit

    /**
     * After a commit (or an auto-commit claim): metrics, then this node's claim cursors, then the
     * wake-ups of claimers and the push dispatcher, then the promoter's earliest delay.
     */
    public void onCommit(TxEffects fx) {
        metrics.enqueued(fx.count(TxEffects.Count.ENQUEUED));
        metrics.claimed(fx.count(TxEffects.Count.CLAIMED));
        metrics.completed(fx.count(TxEffects.Count.COMPLETED));
        metrics.reaped(fx.count(TxEffects.Count.REAPED));
        for (int i = fx.count(TxEffects.Count.ATTEMPT_FAILED); i > 0; i--) {
            metrics.attemptFailed();
        }
        for (Duration d : fx.startLatencies()) {
            metrics.startLatency(d);
        }
        if (!fx.ready().isEmpty()) {
            ready(fx.ready());
        }
        if (fx.earliestDelay() != null) {
            events.delayed(fx.earliestDelay());
        }
    }

    /** After a commit that made runs ready: this node's claim cursors first, then the wake-ups. */
    private void ready(Collection<String> entries) {
        cursors.ready(entries);
        events.ready(entries);
    }

    // ---------------------------------------------------------------------------------- trigger

    /**
     * Runs made by one trigger call, in request order: their ids, the runs themselves (empty when the
     * caller asked for {@link Answer#IDS}), and whether each was created (false for an idempotent
     * repeat, whose id is the first run's).
     */
    public record Triggered(List<UUID> ids, List<Run> runs, List<Boolean> created) {}

    /** What a trigger reads back from the database: the whole runs, or only their ids. */
    public enum Answer { RUNS, IDS }

    /** Where a new run comes from besides the API: a replay or a schedule. */
    public record Origin(UUID replayOf, UUID scheduleId, UUID continuationOf, Integer lineageDepth) {
        public static final Origin API = new Origin(null, null);

        public Origin(UUID replayOf, UUID scheduleId) {
            this(replayOf, scheduleId, null, null);
        }
    }

    /** The workflow step each run of a trigger executes: one step id per request. */
    public record StepLink(UUID workflowRunId, List<String> stepIds) {}

    public Triggered trigger(Job job, List<TriggerRequest> requests, Origin origin) {
        return trigger(job, requests, origin, Answer.RUNS);
    }

    public Triggered trigger(Job job, List<TriggerRequest> requests, Origin origin, Answer answer) {
        return triggers.trigger(job, requests, origin, answer);
    }

    /** A trigger in a caller's transaction; its wake-ups and metrics follow that transaction's commit. */
    public Triggered triggerIn(Connection c, Job job, List<TriggerRequest> requests, Origin origin) throws SQLException {
        return triggers.triggerIn(c, job, requests, origin, null, Answer.RUNS);
    }

    public Triggered triggerIn(Connection c, Job job, List<TriggerRequest> requests, Origin origin, StepLink link)
            throws SQLException {
        return triggers.triggerIn(c, job, requests, origin, link, Answer.RUNS);
    }

    /**
     * The wake-up entry for new runs of {@code queue} whose ids are all at least {@code firstId}
     * (queue names cannot hold '@'); a bare queue name means runs came back with older ids.
     */
    static String readyFrom(String queue, UUID firstId) {
        return queue + "@" + firstId;
    }

    // ------------------------------------------------------------------------------ worker path

    /** Claims up to {@code max} ready runs of the queues for a worker; each is now executing under a lease. */
    public List<Run> claim(UUID projectId, String workerId, List<String> queues, int max, long leaseMs) {
        return claims.claim(projectId, workerId, queues, null, max, leaseMs);
    }

    /** A claim of only the runs of {@code jobs} (null: any job); see {@code claim_jobs} in runs.sql. */
    public List<Run> claim(UUID projectId, String workerId, List<String> queues, List<String> jobs, int max,
            long leaseMs) {
        return claims.claim(projectId, workerId, queues, jobs, max, leaseMs);
    }

    /** The status of each run, and the worker that holds (or last held) it; unknown ids are left out. */
    public record HeldStatus(RunStatus status, String workerId) {}

    /** Reads the runs' statuses by id (read only): for runs a worker no longer holds, and its cancel poll. */
    public Map<UUID, HeldStatus> heldStatus(UUID projectId, List<UUID> runIds) {
        return hot().read(c -> RunReadSql.heldStatus(c, projectId, runIds));
    }

    /** The push dispatcher takes up to {@code max} ready http runs (any project) into dequeued. */
    public List<Run> takePush(String dispatcherId, int max, long leaseMs) {
        return claims.takePush(dispatcherId, max, leaseMs, null, null);
    }

    /**
     * As {@link #takePush(String, int, long)}, leaving queued the runs of the job versions in
     * {@code held} ({@code job_id:version}, null or empty: none), and taking only runs of the job
     * versions in {@code only} when it is not null.
     */
    public List<Run> takePush(String dispatcherId, int max, long leaseMs, List<String> held, List<String> only) {
        return claims.takePush(dispatcherId, max, leaseMs, held, only);
    }

    /** Extends the leases of the runs this worker still executes; returns the new expiry per run. */
    public Map<UUID, Instant> heartbeat(UUID projectId, String workerId, List<UUID> runIds, long leaseMs) {
        return claims.heartbeat(projectId, workerId, runIds, leaseMs);
    }

    /** One item of a batched completion: a result, or an error with its retryability. */
    public record Report(UUID runId, String resultJson, String errorJson, boolean retryable, Integer attempt) {
        public Report(UUID runId, String resultJson, String errorJson, boolean retryable) {
            this(runId, resultJson, errorJson, retryable, null);
        }

        public boolean success() {
            return errorJson == null;
        }
    }

    /** What happened to one report: ok with the run's new status, or the error that refused it. */
    public record Reported(UUID runId, boolean ok, String status, io.drover.errors.DomainException error) {}

    private static final io.drover.store.Statement TRACEPARENTS = RunSql.SQL.statement("traceparents");

    /** A run's trace context and job. */
    public record Trace(String traceparent, String job) {}

    /** The trace contexts of those of {@code ids} that carry one (for spans: read only while tracing is on). */
    public Map<UUID, Trace> traceparents(UUID projectId, List<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return db.read(c -> {
            try (var q = TRACEPARENTS.prepare(c)) {
                q.set("project_id", projectId).setArray("ids", "uuid", ids.toArray());
                Map<UUID, Trace> out = new java.util.HashMap<>();
                try (var rs = q.query()) {
                    while (rs.next()) {
                        out.put(rs.getObject(1, UUID.class), new Trace(rs.getString(2), rs.getString(3)));
                    }
                }
                return out;
            }
        });
    }

    /** Completes and fails many runs of one worker in one transaction (see {@link RunCompletions}). */
    public List<Reported> report(UUID projectId, String workerId, List<Report> reports) {
        return completions.report(projectId, workerId, reports);
    }

    public Run complete(UUID projectId, UUID runId, String workerId, String resultJson) {
        return complete(projectId, runId, workerId, resultJson, null);
    }

    public Run complete(UUID projectId, UUID runId, String workerId, String resultJson, Integer attempt) {
        return completions.reportOne(projectId, workerId, new Report(runId, resultJson, null, false, attempt));
    }

    public Run fail(UUID projectId, UUID runId, String workerId, String errorJson, boolean retryable) {
        return fail(projectId, runId, workerId, errorJson, retryable, null);
    }

    public Run fail(UUID projectId, UUID runId, String workerId, String errorJson, boolean retryable,
            Integer attempt) {
        return completions.reportOne(projectId, workerId, new Report(runId, null, errorJson, retryable, attempt));
    }

    /** A worker gives a run back unfinished (shutdown): queued again at once, attempt not counted. */
    public Run release(UUID projectId, UUID runId, String workerId) {
        return changes.release(projectId, runId, workerId);
    }

    /** The worker pauses a run it holds (waiting for something); the wait ends by {@code until}. */
    public Run startWaiting(UUID projectId, UUID runId, String workerId, Instant until, String reason) {
        return changes.startWaiting(projectId, runId, workerId, until, reason);
    }

    /** A wait for an event: the run now (waiting), or, when the event came first, the run still executing and the event. */
    public record EventWait(Run run, EventOutcome event) {}

    /** The worker lets go of a run it holds until an event with {@code key} is sent, or {@code until} (then queued again). */
    public EventWait waitForEvent(UUID projectId, UUID runId, String workerId, String key, Instant until) {
        return changes.waitForEvent(projectId, runId, workerId, key, until);
    }

    /** A send resolved the run's event wait, in the sending transaction (the events package's RunWaiters). */
    public void eventReceived(Connection c, UUID projectId, UUID runId, String key, String payloadJson)
            throws SQLException {
        changes.eventReceived(c, projectId, runId, key);
    }

    /** The worker resumes a run it paused. */
    public Run resume(UUID projectId, UUID runId, String workerId, long leaseMs) {
        return changes.resume(projectId, runId, workerId, leaseMs);
    }

    // ------------------------------------------------------------------------------- operators

    public Run cancel(UUID projectId, UUID runId) {
        return change(projectId, runId, (c, locked) -> Transitions.cancel(locked.run(), locked.now(), "canceled by request"),
                (c, before, after) -> audit(c, before.projectId(), "run.cancel", runId,
                        Json.object().put("from", before.status().db()).put("job", before.jobSlug())));
    }

    /** Replays a settled run: a dead-lettered run is queued again; a terminal one gets a new run. */
    public record Replayed(Run run, boolean newRun) {}

    public Replayed replay(UUID projectId, UUID runId, Job currentJob) {
        return triggers.replay(projectId, runId, currentJob);
    }

    /**
     * Cancels a run inside a caller's transaction unless another transaction holds it (that one is
     * settling it). Returns the canceled run, or empty when it was locked, unknown or already final.
     */
    public Optional<Run> cancelIfFree(Connection c, UUID runId, String reason) throws SQLException {
        return changes.cancelIfFree(c, runId, reason);
    }

    /**
     * Replays a run inside a caller's transaction unless another transaction holds it (a batch
     * replay); false when it was locked or is not replayable (not dead-lettered or finished, or its
     * job was deleted).
     */
    public boolean replayIn(Connection c, UUID projectId, UUID runId) throws SQLException {
        return triggers.replayIn(c, projectId, runId);
    }

    /** {@link #cancelIfFree}, only while the run is in status {@code onlyIn} (null: any): batch cancel. */
    public Optional<Run> cancelIfFree(Connection c, UUID runId, String reason, String onlyIn) throws SQLException {
        return changes.cancelIfFree(c, runId, reason, onlyIn);
    }

    /** Cancels a run inside a caller's transaction (schedules with overlap policy cancel_running). */
    public Run cancelIn(Connection c, UUID projectId, UUID runId, String reason) throws SQLException {
        return changes.cancelIn(c, projectId, runId, reason);
    }

    // ------------------------------------------------------------------------- change plumbing

    /** A run locked for change, with the database's clock at the time of locking. */
    public record Locked(Run run, Instant now) {}

    @FunctionalInterface
    public interface ChangeFn {
        Transitions.Change compute(Connection c, Locked locked) throws SQLException;
    }

    /** Work that ends a change's transaction (its audit row). */
    @FunctionalInterface
    public interface LastFn {
        void run(Connection c, Run before, Run after) throws SQLException;
    }

    /** Locks a run, computes a change, writes it with its event, and runs admission if needed. */
    public Run change(UUID projectId, UUID runId, ChangeFn fn) {
        return changes.change(projectId, runId, fn, null);
    }

    /**
     * As {@link #change(UUID, UUID, ChangeFn)}, then {@code last} as the transaction's final step.
     * Audit appends go there: they take a global advisory lock, and taking no row lock after it
     * keeps audited transactions from deadlocking on each other.
     */
    public Run change(UUID projectId, UUID runId, ChangeFn fn, LastFn last) {
        return changes.change(projectId, runId, fn, last);
    }

    /** Writes a computed change and its event in the caller's transaction (see {@link RunChanges#apply}). */
    public Run apply(Connection c, Run before, Transitions.Change change) throws SQLException {
        return changes.apply(c, before, change);
    }

    // ----------------------------------------------------------------------------------- reads

    public Run get(UUID projectId, UUID runId) {
        return reads.get(projectId, runId);
    }

    public Optional<Run> get(Connection c, UUID projectId, UUID runId) throws SQLException {
        return RunReadSql.get(c, projectId, runId);
    }

    public Page<Run> list(UUID projectId, UUID jobId, RunStatus status, UUID cursor, int limit) {
        return reads.list(projectId, jobId, status, cursor, limit);
    }

    /** A page of the children of {@code parentId}, newest first (404 when the project has no such run). */
    public Page<Run> listChildren(UUID projectId, UUID parentId, UUID jobId, RunStatus status, UUID cursor,
            int limit) {
        return reads.children(projectId, parentId, jobId, status, cursor, limit);
    }

    public List<RunEvent> events(UUID projectId, UUID runId, long afterSeq, int limit) {
        return reads.events(projectId, runId, afterSeq, limit);
    }

    // ----------------------------------------------------------------- records and claim context

    /** A state a run's worker saved ({@code POST /v1/runs/{id}/checkpoints}); state is JSON text. */
    public record Checkpoint(int seq, int attempt, String stateJson, Instant createdAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object().put("seq", seq).put("attempt", attempt);
            n.putRawValue("state", new com.fasterxml.jackson.databind.util.RawValue(stateJson));
            n.put("created_at", createdAt == null ? null : createdAt.toString());
            return n;
        }
    }

    /** How a run's event wait ended: the event's payload (JSON text), or the wait ran out. */
    public record EventOutcome(String key, String payloadJson, boolean timedOut) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object().put("key", key);
            n.putRawValue("payload", new com.fasterxml.jackson.databind.util.RawValue(payloadJson));
            n.put("timed_out", timedOut);
            return n;
        }
    }

    /** What a claim carries besides the run: its latest checkpoint and its latest settled event wait (each may be null). */
    public record ClaimContext(Checkpoint checkpoint, EventOutcome event) {
        /** Adds {@code checkpoint} and {@code event} to a run's JSON, where there are any. */
        public ObjectNode addTo(ObjectNode run) {
            if (checkpoint != null) {
                run.set("checkpoint", checkpoint.toJson());
            }
            if (event != null) {
                run.set("event", event.toJson());
            }
            return run;
        }
    }

    /** A claim's runs, and the context of those that have one (most have none: the map is then empty). */
    public record Claimed(List<Run> runs, Map<UUID, ClaimContext> context) {}

    /** A tool call as a worker reports it; JSON fields are text (null when not given). */
    public record NewToolCall(String name, String input, String output, String error, Long durationMs) {}

    /** A recorded tool call. */
    public record ToolCall(UUID id, UUID runId, int attempt, String name, String input, String output, String error,
            Long durationMs, Instant createdAt) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object().put("id", id.toString()).put("run_id", runId.toString())
                    .put("attempt", attempt).put("name", name);
            raw(n, "input", input);
            raw(n, "output", output);
            raw(n, "error", error);
            n.put("duration_ms", durationMs);
            n.put("created_at", createdAt == null ? null : createdAt.toString());
            return n;
        }

        private static void raw(ObjectNode n, String field, String json) {
            if (json == null) {
                n.putNull(field);
            } else {
                n.putRawValue(field, new com.fasterxml.jackson.databind.util.RawValue(json));
            }
        }
    }

    /** Saves a checkpoint of a run this worker holds (409 not_held otherwise); keeps the latest few. */
    public Checkpoint checkpoint(UUID projectId, UUID runId, String workerId, String stateJson) {
        return records.checkpoint(projectId, runId, workerId, stateJson);
    }

    /** Records a tool call of a run this worker holds (409 not_held otherwise). */
    public ToolCall recordToolCall(UUID projectId, UUID runId, String workerId, NewToolCall call) {
        return records.recordToolCall(projectId, runId, workerId, call);
    }

    /** A run's tool calls, oldest first, after {@code after} (a cursor: the last id of the previous page). */
    public List<ToolCall> toolCalls(UUID projectId, UUID runId, UUID after, int limit) {
        return records.toolCalls(projectId, runId, after, limit);
    }

    /** As {@link #claim(UUID, String, List, List, int, long)}, with what the claimed runs carry. */
    public Claimed claimWithContext(UUID projectId, String workerId, List<String> queues, List<String> jobs, int max,
            long leaseMs) {
        return claims.claimWithContext(projectId, workerId, queues, jobs, max, leaseMs);
    }

    /** The context of one run (the push dispatcher's, for a retried run): empty when it has none. */
    public Optional<ClaimContext> claimContext(UUID runId) {
        return Optional.ofNullable(hot.read(c -> RunRecords.claimContext(c, List.of(runId))).get(runId));
    }

    // ------------------------------------------------------------------------------ wiring

    /** Where this node's claims start (see {@link ClaimCursors}); the dispatch side feeds it wake-ups. */
    public ClaimCursors claimCursors() {
        return cursors;
    }

    /** Tests: cursors on a clock they move, so that a cursor is never too old unless they say so. */
    void setClaimCursors(ClaimCursors cursors) {
        this.cursors = cursors;
    }

    /** Tests: the job store this one reads jobs from. */
    JobStore jobStore() {
        return jobs;
    }

    void audit(Connection c, UUID projectId, String action, UUID runId, ObjectNode details) throws SQLException {
        if (audit != null) {
            audit.append(c, projectId, action, "run", runId, details);
        }
    }

    Db db() {
        return db;
    }

    Db hot() {
        return hot;
    }

    JobStore jobs() {
        return jobs;
    }

    /** The node's clock (DroverServer's). */
    public InstantSource clock() {
        return clock;
    }

    RunSettledHook settledHook() {
        return settledHook;
    }

    RunChanges changes() {
        return changes;
    }

    Lineage lineage() {
        return lineage;
    }

    // ---------------------------------------------------------------------------------- lineage

    /** The deepest continuation chain allowed (DROVER_MAX_LINEAGE_DEPTH). */
    public void setMaxLineageDepth(int maxLineageDepth) {
        this.maxLineageDepth = maxLineageDepth;
    }

    /**
     * The holder lets go of a run until its children settle (executing -> waiting, no worker); queued
     * again at once when none is open.
     */
    public Run waitForChildren(UUID projectId, UUID runId, String workerId) {
        return lineage.waitForChildren(projectId, runId, workerId);
    }

    /** Completes a held run and makes its continuation in one transaction; answers the continuation. */
    public Run continueRun(UUID projectId, UUID runId, String workerId, com.fasterxml.jackson.databind.JsonNode payload,
            Long delayMs) {
        return lineage.continueRun(projectId, runId, workerId, payload, delayMs, maxLineageDepth);
    }

    /**
     * Claimed runs as the claim answers them: for runs resumed after their children settled, with
     * {@code children: [{id, status, result, error}]}; null when none of them was (the usual claim).
     */
    public List<ObjectNode> withChildren(UUID projectId, List<Run> claimed, List<ObjectNode> rendered) {
        if (!Lineage.anyResumed(claimed)) {
            return null;
        }
        List<UUID> parents = claimed.stream().filter(r -> Run.CHILDREN_SETTLED.equals(r.waitsFor()))
                .map(Run::id).toList();
        Map<UUID, List<Lineage.Child>> children = lineage.children(projectId, parents);
        List<ObjectNode> out = new java.util.ArrayList<>(claimed.size());
        for (int i = 0; i < claimed.size(); i++) {
            Run r = claimed.get(i);
            ObjectNode json = rendered != null ? rendered.get(i) : r.toJson();
            if (Run.CHILDREN_SETTLED.equals(r.waitsFor())) {
                json.set("children", Lineage.childrenJson(children.get(r.id())));
            }
            out.add(json);
        }
        return out;
    }
}
