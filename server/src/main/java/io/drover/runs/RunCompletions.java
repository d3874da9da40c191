package io.drover.runs;

import io.drover.jobs.JobSpec;
import io.drover.store.TxEffects;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Where attempts end: a worker's (or the push dispatcher's) report of results and failures. One
 * transaction per report: every success in one statement ({@code complete_batch}), every failure
 * in one statement ({@code apply_batch}) after its change is computed from the job's retry policy
 * ({@link Transitions#attemptEnded}: retry with backoff, dead letter, or final).
 */
final class RunCompletions {
    private final RunStore store;

    RunCompletions(RunStore store) {
        this.store = store;
    }

    /**
     * Completes and fails many runs of one worker in one transaction. Runs no longer held by this
     * worker are refused per item, never silently.
     */
    List<RunStore.Reported> report(UUID projectId, String workerId, List<RunStore.Report> reports) {
        Map<UUID, io.drover.errors.DomainException> rejected = new HashMap<>();
        while (true) {
            try {
                return reportOnce(projectId, workerId, reports, rejected);
            } catch (OutputRejected e) {
                // Rolled back, nothing written: again without the results that do not match their
                // job's output_schema, which are refused per item (the runs stay as they were).
                rejected.putAll(e.rejected);
            }
        }
    }

    /**
     * Results that do not match their job version's output_schema, found after complete_batch:
     * thrown to roll the report's transaction back (checking after the statement costs the usual
     * report nothing; the rare report with a bad result is written twice).
     */
    private static final class OutputRejected extends RuntimeException {
        final Map<UUID, io.drover.errors.DomainException> rejected;

        OutputRejected(Map<UUID, io.drover.errors.DomainException> rejected) {
            super("output_schema mismatch", null, false, false);
            this.rejected = rejected;
        }
    }

    private List<RunStore.Reported> reportOnce(UUID projectId, String workerId, List<RunStore.Report> all,
            Map<UUID, io.drover.errors.DomainException> rejected) {
        List<RunStore.Report> reports = rejected.isEmpty() ? all
                : all.stream().filter(r -> !rejected.containsKey(r.runId())).toList();
        return store.hot().tx(c -> {
            TxEffects fx = store.db().effects(c);
            Map<UUID, RunStore.Reported> byId = new HashMap<>();
            // In id order: each job's admission takes its advisory lock, and two reports of runs of the
            // same jobs taking them in different (hash) orders deadlocked (RateLimitBench, 10 jobs).
            Set<UUID> limitedJobs = new java.util.TreeSet<>();
            List<RunStore.Report> successes = reports.stream().filter(RunStore.Report::success).toList();
            Map<UUID, RunStore.Locked> locked = Map.of();
            if (successes.size() < reports.size()) {
                // Every reported run is locked (and the failing ones read) up front, in id order, the
                // order heartbeat and complete_batch lock in, so that this transaction cannot
                // deadlock with a heartbeat of the same worker.
                locked = RunSql.lockInOrder(c, projectId, reports.stream().map(RunStore.Report::runId).toList());
            }
            Set<UUID> completed = new HashSet<>();
            if (!successes.isEmpty()) {
                completeAll(c, projectId, workerId, successes, byId, limitedJobs, completed);
            }
            if (successes.size() < reports.size()) {
                failAll(c, workerId, reports, locked, completed, byId, limitedJobs);
            }
            Set<String> ready = new HashSet<>();
            for (UUID jobId : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, jobId));
            }
            store.changes().readyIn(c, ready);
            rejected.forEach((id, e) -> byId.put(id, new RunStore.Reported(id, false, null, e)));
            List<RunStore.Reported> out = all.stream().map(r -> byId.get(r.runId())).toList();
            fx.count(TxEffects.Count.COMPLETED,
                    (int) out.stream().filter(r -> r.ok() && "completed".equals(r.status())).count());
            return out;
        });
    }

    private void completeAll(Connection c, UUID projectId, String workerId, List<RunStore.Report> successes,
            Map<UUID, RunStore.Reported> byId, Set<UUID> limitedJobs, Set<UUID> completed) throws SQLException {
        List<RunSql.Completed> done = RunSql.completeBatch(c, new RunSql.Completions(projectId, workerId,
                successes.stream().map(RunStore.Report::runId).toArray(),
                successes.stream().map(r -> r.resultJson() == null ? "null" : r.resultJson()).toArray(),
                successes.stream().map(RunStore.Report::attempt).toArray()));
        checkOutputs(done, successes);
        List<RunSettledHook.Settled> settled = new ArrayList<>();
        Set<UUID> parents = new HashSet<>();
        TxEffects fx = store.db().effects(c);
        for (RunSql.Completed d : done) {
            fx.completed(d.jobSlug(), d.queue(), d.attemptMs());
            byId.put(d.id(), new RunStore.Reported(d.id(), true, "completed", null));
            completed.add(d.id());
            if (d.limited()) {
                limitedJobs.add(d.jobId());
            }
            if (d.parentRunId() != null) {
                parents.add(d.parentRunId());
            }
            if (d.workflowRunId() != null) {
                settled.add(new RunSettledHook.Settled(d.id(), d.workflowRunId(), d.stepId(), RunStatus.COMPLETED,
                        d.result(), null));
            }
        }
        if (!settled.isEmpty()) {
            store.settledHook().settled(c, settled);
        }
        store.lineage().childrenSettled(c, parents);
        for (RunStore.Report r : successes) {
            byId.computeIfAbsent(r.runId(), id -> new RunStore.Reported(id, false, null,
                    notHeld(c, projectId, id, workerId)));
        }
    }

    /**
     * Every failure's change is computed from the run as locked (and as changed by an earlier item
     * of this report), then all are written in one statement.
     */
    private void failAll(Connection c, String workerId, List<RunStore.Report> reports,
            Map<UUID, RunStore.Locked> locked, Set<UUID> completed, Map<UUID, RunStore.Reported> byId,
            Set<UUID> limitedJobs) throws SQLException {
        Map<UUID, RunSql.Write> writes = new LinkedHashMap<>();
        Map<UUID, Run> current = new HashMap<>();
        int attemptsFailed = 0;
        List<Run> failedAttempts = new ArrayList<>();
        Instant failedAt = null;
        for (RunStore.Report report : reports) {
            if (report.success()) {
                continue;
            }
            UUID id = report.runId();
            try {
                RunStore.Locked l = locked.get(id);
                if (l == null) {
                    throw new io.drover.errors.NotFound("run", id.toString());
                }
                Run r = current.getOrDefault(id, l.run());
                RunStatus status = completed.contains(id) ? RunStatus.COMPLETED : r.status();
                if (!(status == RunStatus.EXECUTING || status == RunStatus.WAITING) || !workerId.equals(r.workerId())
                        || (report.attempt() != null && report.attempt() != r.attempt())) {
                    throw new io.drover.errors.Conflict("not_held", "run is " + status.db() + "; this worker no longer holds it",
                            Map.of("status", status.db()));
                }
                Transitions.Change change;
                if (r.status() == RunStatus.WAITING) {
                    change = Transitions.failedWhileWaiting(r, report.errorJson(), l.now());
                } else {
                    JobSpec spec = store.jobs().spec(r.jobId(), r.jobVersion());
                    change = Transitions.attemptEnded(r, spec, Transitions.Outcome.FAILED, report.errorJson(),
                            report.retryable(), l.now());
                    attemptsFailed++;
                    failedAttempts.add(r);
                    failedAt = l.now();
                }
                writes.put(id, new RunSql.Write(l.run(), change));
                current.put(id, change.after());
                byId.put(id, new RunStore.Reported(id, true, change.after().status().db(), null));
            } catch (io.drover.errors.DomainException e) {
                byId.put(id, new RunStore.Reported(id, false, null, e));
            }
        }
        TxEffects fx = store.db().effects(c);
        fx.count(TxEffects.Count.ATTEMPT_FAILED, attemptsFailed);
        for (Run r : failedAttempts) {
            fx.attemptFailed(r.jobSlug(), r.queue(), attemptMs(r, failedAt));
        }
        if (writes.isEmpty()) {
            return;
        }
        Map<UUID, Run> written = RunSql.writeAll(c, List.copyOf(writes.values()));
        for (UUID id : writes.keySet()) {
            Run after = written.get(id);
            if (after == null) { // the rows are locked: only a bug gets here
                throw new ConcurrentChange();
            }
            if (after.limited()) {
                limitedJobs.add(after.jobId());
            }
        }
        store.changes().written(c, writes.keySet().stream().map(written::get).toList());
    }

    /**
     * Throws {@link OutputRejected} when a completed run's result does not match its job version's
     * output_schema. The spec is the job store's cached one: a job without a schema costs a lookup.
     */
    private void checkOutputs(List<RunSql.Completed> done, List<RunStore.Report> successes) {
        Map<UUID, io.drover.errors.DomainException> bad = null;
        Map<UUID, String> results = null;
        for (RunSql.Completed d : done) {
            JobSpec spec = store.jobs().spec(d.jobId(), d.jobVersion());
            if (spec.outputSchema() == null) {
                continue;
            }
            if (results == null) {
                results = new HashMap<>();
                for (RunStore.Report r : successes) {
                    results.put(r.runId(), r.resultJson() == null ? "null" : r.resultJson());
                }
            }
            com.fasterxml.jackson.databind.JsonNode result = io.drover.http.Json.read(results.get(d.id()));
            List<io.drover.jobs.OutputSchemas.Problem> problems = io.drover.jobs.OutputSchemas.check(d.jobId(),
                    d.jobVersion(), spec.outputSchema(), result);
            if (!problems.isEmpty()) {
                if (bad == null) {
                    bad = new HashMap<>();
                }
                bad.put(d.id(), outputInvalid(problems));
            }
        }
        if (bad != null) {
            throw new OutputRejected(bad);
        }
    }

    /** 422 output_invalid, naming the first path that does not match (and up to ten in details). */
    static io.drover.errors.Invalid outputInvalid(List<io.drover.jobs.OutputSchemas.Problem> problems) {
        io.drover.jobs.OutputSchemas.Problem first = problems.get(0);
        return new io.drover.errors.Invalid("output_invalid", "the result does not match the job's output_schema at "
                + first.path() + ": " + first.message(), Map.of("path", first.path(), "problems",
                        problems.stream().map(p -> Map.of("path", p.path(), "message", p.message())).toList()));
    }

    /** How long the attempt of {@code r} ran until {@code end}; -1 when it has no start. */
    static long attemptMs(Run r, Instant end) {
        return r.startedAt() == null || end == null ? -1 : Math.max(0, Duration.between(r.startedAt(), end).toMillis());
    }

    /** Why a run cannot be reported by this worker: unknown (404) or not held by it (409). */
    private static io.drover.errors.DomainException notHeld(Connection c, UUID projectId, UUID runId, String workerId) {
        try {
            Optional<Run> run = RunReadSql.get(c, projectId, runId);
            if (run.isEmpty()) {
                return new io.drover.errors.NotFound("run", runId.toString());
            }
            Run r = run.get();
            return new io.drover.errors.Conflict("not_held", "run is " + r.status().db()
                    + (workerId.equals(r.workerId()) ? "" : " and held by " + (r.workerId() == null ? "no worker" : "another worker"))
                    + "; this worker no longer holds it", Map.of("status", r.status().db()));
        } catch (SQLException e) {
            throw new io.drover.store.DbException(e);
        }
    }

    /** One report of one run; its error is thrown, else the run as it is now. */
    Run reportOne(UUID projectId, String workerId, RunStore.Report report) {
        RunStore.Reported r = report(projectId, workerId, List.of(report)).get(0);
        if (!r.ok()) {
            throw r.error();
        }
        return store.get(projectId, report.runId());
    }
}
