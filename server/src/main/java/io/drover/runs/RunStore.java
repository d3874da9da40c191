package io.drover.runs;

import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.jobs.Job;
import io.drover.jobs.JobSpec;
import io.drover.jobs.JobStore;
import io.drover.metrics.QueueMetrics;
import io.drover.store.Db;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The one way runs are created, claimed, completed and moved. The API, the worker protocol, the
 * push dispatcher, the reaper and the schedules all go through here. Statements live in
 * {@code sql/runs.sql}; pure transition logic lives in {@link Transitions}.
 */
public final class RunStore {
    private static final Sql SQL = loadSql();
    /** The trigger's INSERT answering whole runs, and the one answering only what triggerIn reads. */
    private static final String INSERT_RUNS = SQL.get("insert_runs").replace("INSERTED_COLUMNS", Run.COLUMNS);
    private static final String INSERT_RUN_IDS = SQL.get("insert_runs").replace("INSERTED_COLUMNS",
            "id, status, scheduled_at, project_id"); // project_id: the created events are written from these rows

    private final Db db;
    /** The queue pool (Db.queue()): trigger, claim, heartbeat and completion, planned once per connection. */
    private final Db hot;
    private final JobStore jobs;
    private final QueueMetrics metrics;
    private volatile QueueEvents events = QueueEvents.NONE;
    private volatile ClaimCursors cursors = new ClaimCursors();
    private volatile RunSettledHook settledHook = RunSettledHook.NONE;

    public RunStore(Db db, JobStore jobs, QueueMetrics metrics) {
        this.db = db;
        this.hot = db.queue();
        this.jobs = jobs;
        this.metrics = metrics;
    }

    public void setEvents(QueueEvents events) {
        this.events = events;
    }

    private volatile io.drover.audit.AuditLog audit;

    /** Operator actions (cancel, replay) append their audit row in their own transaction. */
    public void setAudit(io.drover.audit.AuditLog audit) {
        this.audit = audit;
    }

    private void audit(Connection c, UUID projectId, String action, UUID runId,
            com.fasterxml.jackson.databind.node.ObjectNode details) throws SQLException {
        if (audit != null) {
            audit.append(c, projectId, action, "run", runId, details);
        }
    }

    /** Who hears about settled workflow-step runs, in the settling transaction (the workflow engine). */
    public void setSettledHook(RunSettledHook hook) {
        this.settledHook = hook;
    }

    private static Sql loadSql() {
        return Sql.load("/sql/runs.sql", Map.of(
                "RUN_COLUMNS_R", Arrays.stream(Run.COLUMNS.split(", ")).map(c -> "r." + c).collect(Collectors.joining(", ")),
                "RUN_COLUMNS", Run.COLUMNS));
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
    public record Origin(UUID replayOf, UUID scheduleId) {
        public static final Origin API = new Origin(null, null);
    }

    public Triggered trigger(Job job, List<TriggerRequest> requests, Origin origin) {
        return trigger(job, requests, origin, Answer.RUNS);
    }

    public Triggered trigger(Job job, List<TriggerRequest> requests, Origin origin, Answer answer) {
        Pending pending = hot.tx(c -> triggerIn(c, job, requests, origin, null, answer));
        afterTrigger(pending);
        return pending.triggered();
    }

    /** A trigger written in a caller's transaction; pass it to {@link #afterTrigger} after commit. */
    public record Pending(Triggered triggered, Set<String> readyQueues, Instant earliestDelay, boolean http) {}

    public void afterTrigger(Pending pending) {
        metrics.enqueued((int) pending.triggered().created().stream().filter(b -> b).count());
        if (!pending.readyQueues().isEmpty()) {
            ready(pending.http() ? List.of(PUSH_QUEUE) : pending.readyQueues());
        }
        if (pending.earliestDelay() != null) {
            events.delayed(pending.earliestDelay());
        }
    }

    public Pending triggerIn(Connection c, Job job, List<TriggerRequest> requests, Origin origin) throws SQLException {
        return triggerIn(c, job, requests, origin, null, Answer.RUNS);
    }

    /** The workflow step each run of a trigger executes: one step id per request. */
    public record StepLink(UUID workflowRunId, List<String> stepIds) {}

    public Pending triggerIn(Connection c, Job job, List<TriggerRequest> requests, Origin origin, StepLink link)
            throws SQLException {
        return triggerIn(c, job, requests, origin, link, Answer.RUNS);
    }

    /** What triggerIn needs of each inserted run; {@code run} is null for {@link Answer#IDS}. */
    private record Inserted(UUID id, RunStatus status, Instant scheduledAt, Run run) {}

    private Pending triggerIn(Connection c, Job job, List<TriggerRequest> requests, Origin origin, StepLink link,
            Answer answer) throws SQLException {
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
        }
        boolean limited = spec.isLimited();
        Set<String> readyQueues = new HashSet<>();
        Map<UUID, Inserted> inserted = new HashMap<>();
        boolean whole = answer == Answer.RUNS;
        try (PreparedStatement ps = c.prepareStatement(whole ? INSERT_RUNS : INSERT_RUN_IDS)) {
            int p = 1;
            // The batch's constants first (the input CTE's select list), then the arrays it unnests.
            ps.setObject(p++, job.projectId());
            ps.setObject(p++, job.id());
            ps.setString(p++, spec.slug());
            ps.setInt(p++, job.version());
            ps.setString(p++, spec.queue());
            ps.setString(p++, spec.execution());
            ps.setBoolean(p++, limited);
            ps.setBoolean(p++, limited);
            ps.setInt(p++, spec.maxAttempts());
            ps.setObject(p++, spec.timeoutSecs());
            ps.setObject(p++, origin.replayOf());
            ps.setObject(p++, origin.scheduleId());
            ps.setObject(p++, spec.ttlSecs(), java.sql.Types.INTEGER);
            ps.setObject(p++, link == null ? null : link.workflowRunId());
            ps.setArray(p++, c.createArrayOf("uuid", ids));
            ps.setArray(p++, c.createArrayOf("text", keys));
            ps.setArray(p++, c.createArrayOf("text", payloads));
            ps.setArray(p++, c.createArrayOf("text", metas));
            ps.setArray(p++, c.createArrayOf("int4", priorities));
            ps.setArray(p++, c.createArrayOf("timestamptz", at));
            ps.setArray(p++, c.createArrayOf("int8", delays));
            ps.setArray(p++, c.createArrayOf("text", concurrencyKeys));
            ps.setArray(p++, c.createArrayOf("text", link == null ? new String[n] : link.stepIds().toArray()));
            // Without a concurrency limit the statement notifies itself (see insert_runs), naming
            // the batch's first id: claim cursors past it come back to it (ClaimCursors).
            ps.setString(p++, limited ? null : spec.isHttp() ? PUSH_QUEUE : readyFrom(spec.queue(), ids[0]));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Inserted row;
                    if (whole) {
                        Run run = Run.map(rs);
                        row = new Inserted(run.id(), run.status(), run.scheduledAt(), run);
                    } else {
                        row = new Inserted(rs.getObject(1, UUID.class), RunStatus.fromDb(rs.getString(2)),
                                rs.getTimestamp(3).toInstant(), null); // the columns of INSERT_RUN_IDS
                    }
                    inserted.put(row.id(), row);
                }
            }
        }
        Map<String, Run> existing = new HashMap<>();
        if (inserted.size() < n) {
            List<String> missingKeys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (!inserted.containsKey(ids[i]) && keys[i] != null) {
                    missingKeys.add(keys[i]);
                }
            }
            try (PreparedStatement ps = c.prepareStatement(SQL.get("find_by_idempotency"))) {
                ps.setObject(1, job.id());
                ps.setArray(2, c.createArrayOf("text", missingKeys.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Run run = Run.map(rs);
                        existing.put(run.idempotencyKey(), run);
                    }
                }
            }
        }
        boolean anyQueued = inserted.values().stream().anyMatch(r -> r.status() == RunStatus.QUEUED);
        if (anyQueued) {
            if (limited) {
                readyQueues.addAll(ConcurrencyGate.admit(c, job.id()));
                notify(c, readyQueues, spec.isHttp());
            } else {
                readyQueues.add(readyFrom(spec.queue(), ids[0])); // insert_runs sent the NOTIFY
            }
        }
        List<UUID> runIds = new ArrayList<>(n);
        List<Run> runs = new ArrayList<>(whole ? n : 0);
        List<Boolean> created = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Inserted row = inserted.get(ids[i]);
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
        Instant earliestDelay = inserted.values().stream().filter(r -> r.status() == RunStatus.DELAYED)
                .map(Inserted::scheduledAt).min(Instant::compareTo).orElse(null);
        return new Pending(new Triggered(runIds, runs, created), readyQueues, earliestDelay, spec.isHttp());
    }

    /**
     * The wake-up entry for new runs of {@code queue} whose ids are all at least {@code firstId}
     * (queue names cannot hold '@'); a bare queue name means runs came back with older ids.
     */
    static String readyFrom(String queue, UUID firstId) {
        return queue + "@" + firstId;
    }

    /** The wake-up name the push dispatcher listens for (queue names cannot start with '!'). */
    public static final String PUSH_QUEUE = "!http";

    private static void notify(Connection c, Set<String> queues, boolean http) throws SQLException {
        if (queues.isEmpty()) {
            return;
        }
        // One NOTIFY per transaction, whatever the number of rows.
        try (PreparedStatement ps = c.prepareStatement(SQL.get("notify"))) {
            ps.setString(1, http ? PUSH_QUEUE : String.join(",", queues));
            ps.execute();
        }
    }

    // ------------------------------------------------------------------------------ worker path

    /** Claims up to {@code max} ready runs of the queues for a worker; each is now executing under a lease. */
    public List<Run> claim(UUID projectId, String workerId, List<String> queues, int max, long leaseMs) {
        return claim(projectId, workerId, queues, null, max, leaseMs);
    }

    /**
     * Claims up to {@code max} ready runs of the queues whose job is one of {@code jobs} (null: any
     * job). A filtered claim has its own statement and its own cursors (see {@code claim_jobs}).
     */
    public List<Run> claim(UUID projectId, String workerId, List<String> queues, List<String> jobs, int max,
            long leaseMs) {
        int n = queues.size();
        ClaimCursors cursors = this.cursors;
        ClaimCursors.Start[] from = new ClaimCursors.Start[n];
        Integer[] priorities = new Integer[n];
        UUID[] floors = new UUID[n];
        for (int i = 0; i < n; i++) {
            from[i] = cursors.start(projectId, jobs, queues.get(i));
            priorities[i] = from[i].priority();
            floors[i] = from[i].id();
        }
        UUID firstNewId = ClaimCursors.firstIdAt(System.currentTimeMillis());
        List<Run> claimed = hot.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SQL.get(jobs == null ? "claim" : "claim_jobs"))) {
                int p = 1;
                ps.setArray(p++, c.createArrayOf("text", queues.toArray()));
                ps.setArray(p++, c.createArrayOf("int4", priorities));
                ps.setArray(p++, c.createArrayOf("uuid", floors));
                java.sql.Array jobArray = jobs == null ? null : c.createArrayOf("text", jobs.toArray());
                for (int branch = 0; branch < 3; branch++) {
                    ps.setObject(p++, projectId);
                    if (jobArray != null) {
                        ps.setArray(p++, jobArray);
                    }
                    ps.setInt(p++, max);
                }
                ps.setInt(p++, max);
                ps.setInt(p++, max);
                ps.setString(p++, workerId);
                ps.setLong(p++, leaseMs);
                return all(ps);
            }
        });
        moveCursors(cursors, projectId, jobs, queues, from, claimed, firstNewId);
        if (!claimed.isEmpty()) {
            metrics.claimed(claimed.size());
            for (Run r : claimed) {
                metrics.startLatency(Duration.between(r.scheduledAt(), r.startedAt()));
            }
        }
        return claimed;
    }

    /**
     * Each queue's next claim starts after the last run this one took of it (claimed comes in
     * claim order: per queue, a prefix of its walk). A queue it found empty starts at the ids made
     * from now on, but only when it was the only queue: with several, the LIMIT may have cut a
     * queue's runs for another's.
     */
    private static void moveCursors(ClaimCursors cursors, UUID projectId, List<String> jobs, List<String> queues,
            ClaimCursors.Start[] from, List<Run> claimed, UUID firstNewId) {
        for (int i = 0; i < queues.size(); i++) {
            String queue = queues.get(i);
            Run last = null;
            for (Run r : claimed) {
                if (r.queue().equals(queue)) {
                    last = r;
                }
            }
            if (last != null) {
                cursors.claimed(projectId, jobs, queue, from[i], last.priority(), last.id());
            } else if (queues.size() == 1) {
                cursors.foundNone(projectId, jobs, queue, from[i], firstNewId);
            }
        }
    }

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

    /** The push dispatcher takes up to {@code max} ready http runs (any project) into dequeued. */
    public List<Run> takePush(String dispatcherId, int max, long leaseMs) {
        List<Run> taken = hot.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SQL.get("take_push"))) {
                ps.setInt(1, max);
                ps.setString(2, dispatcherId);
                ps.setLong(3, leaseMs);
                return all(ps);
            }
        });
        if (!taken.isEmpty()) {
            metrics.claimed(taken.size());
            Instant now = Instant.now();
            taken.forEach(r -> metrics.startLatency(Duration.between(r.scheduledAt(), now)));
        }
        return taken;
    }

    /**
     * Cancels a run inside a caller's transaction unless another transaction holds it (that one is
     * settling it). Returns the canceled run, or empty when it was locked, unknown or already final.
     */
    public Optional<Run> cancelIfFree(Connection c, UUID runId, String reason) throws SQLException {
        Locked locked;
        try (PreparedStatement ps = c.prepareStatement(SQL.get("lock_run_skip_locked"))) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                locked = new Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant());
            }
        }
        if (!locked.run().status().canMoveTo(RunStatus.CANCELED)) {
            return Optional.empty();
        }
        Run after = apply(c, locked.run(), Transitions.cancel(locked.run(), locked.now(), reason));
        afterChange(c, locked.run(), after);
        return Optional.of(after);
    }

    /** Cancels a run inside a caller's transaction (schedules with overlap policy cancel_running). */
    public Run cancelIn(Connection c, UUID projectId, UUID runId, String reason) throws SQLException {
        Locked locked = lock(c, projectId, runId).orElseThrow(() -> ApiError.notFound("run", runId.toString()));
        Run after = apply(c, locked.run(), Transitions.cancel(locked.run(), locked.now(), reason));
        afterChange(c, locked.run(), after);
        return after;
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
    public record Reported(UUID runId, boolean ok, String status, ApiError error) {}

    /**
     * Completes and fails many runs of one worker in one transaction: successes in one statement,
     * failures one by one (each needs its job's retry policy). Runs no longer held by this worker
     * are refused per item, never silently.
     */
    public List<Reported> report(UUID projectId, String workerId, List<Report> reports) {
        Set<UUID> limitedJobs = new HashSet<>();
        Set<String> ready = new HashSet<>();
        Instant[] earliestDelay = new Instant[1];
        List<Reported> out = hot.tx(c -> {
            Map<UUID, Reported> byId = new HashMap<>();
            List<RunSettledHook.Settled> settled = new ArrayList<>();
            List<Report> successes = reports.stream().filter(Report::success).toList();
            if (successes.size() < reports.size()) {
                // Failures are written one by one after the successes: lock every reported run first,
                // in id order, the order heartbeat and complete_batch lock in, so that this
                // transaction cannot deadlock with a heartbeat of the same worker.
                try (PreparedStatement ps = c.prepareStatement(SQL.get("lock_runs_in_order"))) {
                    ps.setArray(1, c.createArrayOf("uuid", reports.stream().map(Report::runId).toArray()));
                    ps.setObject(2, projectId);
                    ps.executeQuery().close();
                }
            }
            if (!successes.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(SQL.get("complete_batch"))) {
                    ps.setArray(1, c.createArrayOf("uuid", successes.stream().map(Report::runId).toArray()));
                    ps.setArray(2, c.createArrayOf("text", successes.stream()
                            .map(r -> r.resultJson() == null ? "null" : r.resultJson()).toArray()));
                    ps.setArray(3, c.createArrayOf("int4", successes.stream().map(Report::attempt).toArray()));
                    ps.setObject(4, projectId);
                    ps.setString(5, workerId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            UUID id = rs.getObject(1, UUID.class);
                            byId.put(id, new Reported(id, true, "completed", null));
                            if (rs.getBoolean(3)) {
                                limitedJobs.add(rs.getObject(2, UUID.class));
                            }
                            UUID workflowRun = rs.getObject(5, UUID.class);
                            if (workflowRun != null) {
                                settled.add(new RunSettledHook.Settled(id, workflowRun, rs.getString(6),
                                        RunStatus.COMPLETED, rs.getString(7), null));
                            }
                        }
                    }
                }
                if (!settled.isEmpty()) {
                    settledHook.settled(c, settled);
                }
                for (Report r : successes) {
                    byId.computeIfAbsent(r.runId(), id -> new Reported(id, false, null, notHeld(c, projectId, id, workerId)));
                }
            }
            for (Report r : reports) {
                if (r.success()) {
                    continue;
                }
                try {
                    Run after = failHeld(c, projectId, r.runId(), workerId, r.errorJson(), r.retryable(), r.attempt());
                    byId.put(r.runId(), new Reported(r.runId(), true, after.status().db(), null));
                    if (after.limited()) {
                        limitedJobs.add(after.jobId());
                    }
                    if (after.status() == RunStatus.DELAYED
                            && (earliestDelay[0] == null || after.scheduledAt().isBefore(earliestDelay[0]))) {
                        earliestDelay[0] = after.scheduledAt();
                    }
                } catch (ApiError e) {
                    byId.put(r.runId(), new Reported(r.runId(), false, null, e));
                }
            }
            for (UUID jobId : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, jobId));
            }
            notify(c, ready, false);
            return reports.stream().map(r -> byId.get(r.runId())).toList();
        });
        long completed = out.stream().filter(r -> r.ok() && "completed".equals(r.status())).count();
        metrics.completed((int) completed);
        if (!ready.isEmpty()) {
            ready(ready);
        }
        if (earliestDelay[0] != null) {
            events.delayed(earliestDelay[0]);
        }
        return out;
    }

    /** Why a run cannot be reported by this worker: unknown (404) or not held by it (409). */
    private ApiError notHeld(Connection c, UUID projectId, UUID runId, String workerId) {
        try {
            Optional<Run> run = get(c, projectId, runId);
            if (run.isEmpty()) {
                return ApiError.notFound("run", runId.toString());
            }
            Run r = run.get();
            return ApiError.conflict("not_held", "run is " + r.status().db()
                    + (workerId.equals(r.workerId()) ? "" : " and held by " + (r.workerId() == null ? "no worker" : "another worker"))
                    + "; this worker no longer holds it", Map.of("status", r.status().db()));
        } catch (SQLException e) {
            throw new io.drover.store.DbException(e);
        }
    }

    private Run failHeld(Connection c, UUID projectId, UUID runId, String workerId, String errorJson,
            boolean retryable, Integer attempt) throws SQLException {
        Locked locked = lock(c, projectId, runId).orElseThrow(() -> ApiError.notFound("run", runId.toString()));
        Run r = locked.run();
        if (!(r.status() == RunStatus.EXECUTING || r.status() == RunStatus.WAITING) || !workerId.equals(r.workerId())
                || (attempt != null && attempt != r.attempt())) {
            throw ApiError.conflict("not_held", "run is " + r.status().db() + "; this worker no longer holds it",
                    Map.of("status", r.status().db()));
        }
        if (r.status() == RunStatus.WAITING) {
            // waiting -> failed is the only failure edge from waiting: no retry from a wait.
            return apply(c, r, new Transitions.Change(r.with(RunStatus.FAILED, r.attempt(), r.workerId(), null,
                    errorJson, r.scheduledAt(), null, null, null, r.startedAt(), locked.now(), r.admitted()),
                    "failed", "failed while waiting", null));
        }
        JobSpec spec = jobs.spec(r.jobId(), r.jobVersion());
        metrics.attemptFailed();
        return apply(c, r, Transitions.attemptEnded(r, spec, Transitions.Outcome.FAILED, errorJson, retryable,
                locked.now()));
    }

    public Run complete(UUID projectId, UUID runId, String workerId, String resultJson) {
        return complete(projectId, runId, workerId, resultJson, null);
    }

    public Run complete(UUID projectId, UUID runId, String workerId, String resultJson, Integer attempt) {
        Reported r = report(projectId, workerId, List.of(new Report(runId, resultJson, null, false, attempt))).get(0);
        if (!r.ok()) {
            throw r.error();
        }
        return get(projectId, runId);
    }

    public Run fail(UUID projectId, UUID runId, String workerId, String errorJson, boolean retryable) {
        return fail(projectId, runId, workerId, errorJson, retryable, null);
    }

    public Run fail(UUID projectId, UUID runId, String workerId, String errorJson, boolean retryable,
            Integer attempt) {
        Reported r = report(projectId, workerId, List.of(new Report(runId, null, errorJson, retryable, attempt))).get(0);
        if (!r.ok()) {
            throw r.error();
        }
        return get(projectId, runId);
    }

    /** Extends the leases of the runs this worker still executes; returns the new expiry per run. */
    public Map<UUID, Instant> heartbeat(UUID projectId, String workerId, List<UUID> runIds, long leaseMs) {
        return hot.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SQL.get("heartbeat"))) {
                ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
                ps.setObject(2, projectId);
                ps.setString(3, workerId);
                ps.setLong(4, leaseMs);
                Map<UUID, Instant> out = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant());
                    }
                }
                return out;
            }
        });
    }

    /** The status of each run, and the worker that holds (or last held) it; unknown ids are left out. */
    public record HeldStatus(RunStatus status, String workerId) {}

    /** Reads the runs' statuses by id (read only): for runs a worker no longer holds, and its cancel poll. */
    public Map<UUID, HeldStatus> heldStatus(UUID projectId, List<UUID> runIds) {
        return hot.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SQL.get("held_status"))) {
                ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
                ps.setObject(2, projectId);
                Map<UUID, HeldStatus> out = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getObject(1, UUID.class),
                                new HeldStatus(RunStatus.fromDb(rs.getString(2)), rs.getString(3)));
                    }
                }
                return out;
            }
        });
    }

    /** A worker gives a run back unfinished (shutdown): queued again at once, attempt not counted. */
    public Run release(UUID projectId, UUID runId, String workerId) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            if (r.status() != RunStatus.EXECUTING || !workerId.equals(r.workerId())) {
                throw ApiError.conflict("not_held", "run is " + r.status().db() + "; this worker does not hold it",
                        Map.of("status", r.status().db()));
            }
            return Transitions.release(r);
        });
    }

    /** The worker pauses a run it holds (waiting for something); the wait ends by {@code until}. */
    public Run startWaiting(UUID projectId, UUID runId, String workerId, Instant until, String reason) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            requireHeld(r, workerId, RunStatus.EXECUTING);
            return Transitions.startWaiting(r, until, reason);
        });
    }

    /** The worker resumes a run it paused. */
    public Run resume(UUID projectId, UUID runId, String workerId, long leaseMs) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            requireHeld(r, workerId, RunStatus.WAITING);
            return Transitions.resume(r, locked.now().plusMillis(leaseMs), locked.now());
        });
    }

    private static void requireHeld(Run r, String workerId, RunStatus status) {
        if (r.status() != status || !workerId.equals(r.workerId())) {
            throw ApiError.conflict("not_held", "run is " + r.status().db() + "; this worker does not hold it as "
                    + status.db(), Map.of("status", r.status().db()));
        }
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
        Run run = get(projectId, runId);
        if (run.status() == RunStatus.DEAD_LETTER) {
            return new Replayed(change(projectId, runId, (c, locked) -> Transitions.replayDeadLetter(locked.run()),
                    (c, before, after) -> audit(c, before.projectId(), "run.replay", runId,
                            Json.object().put("from", before.status().db()).put("new_run", false))), false);
        }
        if (!run.status().isTerminal()) {
            throw ApiError.conflict("illegal_transition", "run is " + run.status().db()
                    + "; only dead-lettered or finished runs can be replayed", Map.of("from", run.status().db()));
        }
        if (currentJob == null) {
            throw ApiError.conflict("job_deleted", "the run's job was deleted; it cannot be replayed", Map.of());
        }
        var meta = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(run.metadata());
        TriggerRequest req = new TriggerRequest(Json.read(run.payload()), meta, null, null, null, run.priority(),
                run.concurrencyKey());
        Pending pending = db.tx(c -> {
            Pending p = triggerIn(c, currentJob, List.of(req), new Origin(run.id(), null));
            audit(c, run.projectId(), "run.replay", run.id(), Json.object().put("from", run.status().db())
                    .put("new_run", true).put("new_run_id", p.triggered().runs().get(0).id().toString()));
            return p;
        });
        afterTrigger(pending);
        return new Replayed(pending.triggered().runs().get(0), true);
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
        return change(projectId, runId, fn, null);
    }

    /**
     * As {@link #change(UUID, UUID, ChangeFn)}, then {@code last} as the transaction's final step.
     * Audit appends go there: they take a global advisory lock, and taking no row lock after it
     * keeps audited transactions from deadlocking on each other.
     */
    public Run change(UUID projectId, UUID runId, ChangeFn fn, LastFn last) {
        Set<String> ready = new HashSet<>();
        Run after = db.tx(c -> {
            Locked locked = lock(c, projectId, runId).orElseThrow(() -> ApiError.notFound("run", runId.toString()));
            Run result = apply(c, locked.run(), fn.compute(c, locked));
            ready.addAll(afterChange(c, locked.run(), result));
            if (last != null) {
                last.run(c, locked.run(), result);
            }
            return result;
        });
        afterCommit(after, ready);
        return after;
    }

    /** Admission and notification a change needs inside its transaction. */
    Set<String> afterChange(Connection c, Run before, Run after) throws SQLException {
        Set<String> ready = new HashSet<>();
        if (after.limited()) {
            ready.addAll(ConcurrencyGate.admit(c, after.jobId()));
        } else if (after.status() == RunStatus.QUEUED) {
            ready.add(after.queue());
        }
        if (!ready.isEmpty()) {
            notify(c, "http".equals(after.execution()) ? Set.of(PUSH_QUEUE) : ready, false);
        }
        return ready;
    }

    void afterCommit(Run after, Set<String> ready) {
        if (!ready.isEmpty()) {
            ready("http".equals(after.execution()) ? List.of(PUSH_QUEUE) : ready);
        }
        if (after.status() == RunStatus.DELAYED) {
            events.delayed(after.scheduledAt());
        }
    }

    public Optional<Locked> lock(Connection c, UUID projectId, UUID runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get(projectId == null ? "lock_run_any_project" : "lock_run"))) {
            ps.setObject(1, runId);
            if (projectId != null) {
                ps.setObject(2, projectId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
            }
        }
    }

    /** Writes a computed change and its event in one statement, refusing any illegal transition. */
    public Run apply(Connection c, Run before, Transitions.Change change) throws SQLException {
        Run a = change.after();
        if (!before.status().canMoveTo(a.status())) {
            throw ApiError.conflict("illegal_transition", "a run cannot move from " + before.status().db() + " to "
                    + a.status().db(), Map.of("from", before.status().db(), "to", a.status().db()));
        }
        try (PreparedStatement ps = c.prepareStatement(SQL.get("apply"))) {
            int p = 1;
            ps.setString(p++, a.status().db());
            ps.setInt(p++, a.attempt());
            ps.setString(p++, a.workerId());
            ps.setString(p++, a.result());
            ps.setString(p++, a.error());
            ps.setTimestamp(p++, ts(a.scheduledAt()));
            ps.setTimestamp(p++, ts(a.nextRetryAt()));
            ps.setTimestamp(p++, ts(a.leaseExpiresAt()));
            ps.setTimestamp(p++, ts(a.deadlineAt()));
            ps.setTimestamp(p++, ts(a.startedAt()));
            ps.setTimestamp(p++, ts(a.finishedAt()));
            ps.setBoolean(p++, a.admitted());
            ps.setObject(p++, before.id());
            ps.setString(p++, before.status().db());
            ps.setString(p++, change.event());
            ps.setString(p++, before.status().db());
            ps.setString(p++, change.message());
            ps.setString(p++, change.data());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw ApiError.conflict("concurrent_change", "the run changed while this request ran; try again",
                            Map.of());
                }
                Run written = Run.map(rs);
                rs.close();
                if (written.workflowRunId() != null && isSettled(written.status())) {
                    settledHook.settled(c, List.of(RunSettledHook.Settled.of(written)));
                }
                return written;
            }
        }
    }

    /** Final for a workflow step: terminal, or dead-lettered (replay makes a fresh attempt outside the step). */
    static boolean isSettled(RunStatus s) {
        return s.isTerminal() || s == RunStatus.DEAD_LETTER;
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    // ----------------------------------------------------------------------------------- reads

    public Run get(UUID projectId, UUID runId) {
        return db.read(c -> get(c, projectId, runId)).orElseThrow(() -> ApiError.notFound("run", runId.toString()));
    }

    public Optional<Run> get(Connection c, UUID projectId, UUID runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("get_run"))) {
            ps.setObject(1, runId);
            ps.setObject(2, projectId);
            List<Run> runs = all(ps);
            return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(0));
        }
    }

    /**
     * Runs of a project, newest first, optionally of one job and in one state; a page of {@code limit}
     * after {@code cursor} (the last id of the previous page). Every run and the completed ones come
     * from run_list; the other states from the runs table's own indexes (see list_runs in runs.sql).
     */
    public Page<Run> list(UUID projectId, UUID jobId, RunStatus status, UUID cursor, int limit) {
        return db.read(c -> {
            boolean walk = status == null || status == RunStatus.COMPLETED;
            String sql;
            if (walk) {
                sql = SQL.get("list_runs")
                        .replace("LIST_FILTERS", (jobId != null ? "AND job_id = ? " : "") + (cursor != null ? "AND id < ?" : ""))
                        // A literal, like list_runs_in_state's (below).
                        .replace("RUN_FILTERS", status != null ? "AND status = '" + status.db() + "'" : "");
            } else {
                StringBuilder in = new StringBuilder(SQL.get("list_runs_in_state"));
                if (jobId != null) {
                    in.append(" AND job_id = ?");
                }
                // A literal, so that every plan (generic ones too) can pick the partial index for it.
                in.append(" AND status = '").append(status.db()).append("'");
                if (cursor != null) {
                    in.append(" AND id < ?");
                }
                sql = in.append(" ORDER BY id DESC LIMIT ?").toString();
            }
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                ps.setObject(p++, projectId);
                if (jobId != null) {
                    ps.setObject(p++, jobId);
                }
                if (cursor != null) {
                    ps.setObject(p++, cursor);
                }
                ps.setInt(p, limit + 1);
                return Page.of(all(ps), limit, Run::id);
            }
        });
    }

    /** A run's events in order, after {@code afterSeq}; the next cursor is the last seq. */
    public List<RunEvent> events(UUID projectId, UUID runId, long afterSeq, int limit) {
        return db.read(c -> {
            if (get(c, projectId, runId).isEmpty()) {
                throw ApiError.notFound("run", runId.toString());
            }
            try (PreparedStatement ps = c.prepareStatement(SQL.get("run_events"))) {
                ps.setObject(1, runId);
                ps.setObject(2, projectId);
                ps.setLong(3, afterSeq);
                ps.setInt(4, limit);
                List<RunEvent> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Instant createdAt = rs.getTimestamp(9).toInstant();
                        long seq = rs.getLong(10);
                        UUID id = rs.getObject(1, UUID.class); // null since V5: derived from the row
                        out.add(new RunEvent(id != null ? id : RunEvent.derivedId(createdAt, seq), rs.getObject(2, UUID.class),
                                rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6), rs.getString(7),
                                rs.getString(8), createdAt, seq));
                    }
                }
                return out;
            }
        });
    }

    static List<Run> all(PreparedStatement ps) throws SQLException {
        List<Run> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(Run.map(rs));
            }
        }
        return out;
    }

    Db db() {
        return db;
    }

    JobStore jobs() {
        return jobs;
    }

    QueueMetrics metrics() {
        return metrics;
    }

    static Sql sql() {
        return SQL;
    }

    QueueEvents events() {
        return events;
    }

    /** After a commit that made runs ready: this node's claim cursors first, then the wake-ups. */
    void ready(java.util.Collection<String> entries) {
        cursors.ready(entries);
        events.ready(entries);
    }

    static Set<String> queuesOf(List<Run> runs) {
        return runs.stream().map(Run::queue).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    static Array uuids(Connection c, List<UUID> ids) throws SQLException {
        return c.createArrayOf("uuid", ids.toArray());
    }
}
