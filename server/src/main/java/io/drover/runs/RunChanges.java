package io.drover.runs;

import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.store.TxEffects;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Changes to one run at a time: lock it, compute the change ({@link Transitions}), write it with
 * its event, admit what it freed and collect its after-commit work. Operators' cancels, a worker's
 * release, wait and resume, the push dispatcher's moves and the reaper's changes come through
 * {@link #apply}; a report's failures are written in one batch by {@link RunCompletions}.
 */
final class RunChanges {
    private final RunStore store;

    RunChanges(RunStore store) {
        this.store = store;
    }

    /**
     * Locks a run, computes a change, writes it with its event, runs admission if needed, then
     * {@code last} (if any) as the transaction's final step.
     */
    Run change(UUID projectId, UUID runId, RunStore.ChangeFn fn, RunStore.LastFn last) {
        return store.db().tx(c -> {
            RunStore.Locked locked = RunSql.lock(c, projectId, runId)
                    .orElseThrow(() -> new NotFound("run", runId.toString()));
            Run result = apply(c, locked.run(), fn.compute(c, locked));
            admit(c, result);
            if (last != null) {
                last.run(c, locked.run(), result);
            }
            return result;
        });
    }

    /**
     * Writes a computed change and its event in one statement, refusing any illegal transition and
     * a change that raced another (409 {@code concurrent_change}). A settled workflow-step run is
     * handed to the workflow engine in this transaction; a run made delayed tells the promoter after
     * the commit.
     */
    Run apply(Connection c, Run before, Transitions.Change change) throws SQLException {
        Run a = change.after();
        if (!before.status().canMoveTo(a.status())) {
            throw new Conflict("illegal_transition", "a run cannot move from " + before.status().db() + " to "
                    + a.status().db(), Map.of("from", before.status().db(), "to", a.status().db()));
        }
        Run written = RunSql.write(c, new RunSql.Write(before, change)).orElseThrow(() -> new ConcurrentChange());
        written(c, List.of(written));
        return written;
    }

    /** What follows every write in its transaction: the workflow engine hears of settled steps, delays are collected. */
    void written(Connection c, List<Run> written) throws SQLException {
        List<RunSettledHook.Settled> settled = written.stream()
                .filter(r -> r.workflowRunId() != null && isSettled(r.status()))
                .map(RunSettledHook.Settled::of).toList();
        if (!settled.isEmpty()) {
            store.settledHook().settled(c, settled);
        }
        store.lineage().childrenSettled(c, Lineage.parentsOfSettled(written));
        TxEffects fx = store.db().effects(c);
        for (Run r : written) {
            if (r.status() == RunStatus.DELAYED) {
                fx.delayed(r.scheduledAt());
            }
        }
    }

    /**
     * Admission and notification one changed run needs inside its transaction: a limited job may
     * admit waiting runs, a run back in the queue wakes claimers (after the commit, through the
     * transaction's collector, and on other nodes through NOTIFY).
     */
    void admit(Connection c, Run after) throws SQLException {
        Set<String> ready = new HashSet<>();
        if (after.limited()) {
            ready.addAll(ConcurrencyGate.admit(c, after.jobId()));
        } else if (after.status() == RunStatus.QUEUED) {
            ready.add(after.queue());
        }
        if (ready.isEmpty()) {
            return;
        }
        readyIn(c, "http".equals(after.execution()) ? Set.of(RunStore.PUSH_QUEUE) : ready);
    }

    /** Runs of these wake-up entries became ready: one NOTIFY now, the local wake-ups after the commit. */
    void readyIn(Connection c, Set<String> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        // One NOTIFY per transaction, whatever the number of rows.
        RunSql.notify(c, String.join(",", entries));
        store.db().effects(c).ready(entries);
    }

    /** Final for a workflow step: terminal, or dead-lettered (replay makes a fresh attempt outside the step). */
    static boolean isSettled(RunStatus s) {
        return s.isTerminal() || s == RunStatus.DEAD_LETTER;
    }

    // ------------------------------------------------------------------------- in a caller's transaction

    /**
     * Cancels a run inside a caller's transaction unless another transaction holds it (that one is
     * settling it). Returns the canceled run, or empty when it was locked, unknown or already final.
     */
    Optional<Run> cancelIfFree(Connection c, UUID runId, String reason) throws SQLException {
        return cancelIfFree(c, runId, reason, null);
    }

    /** {@link #cancelIfFree}, only while the run is in status {@code onlyIn} (null: any). */
    Optional<Run> cancelIfFree(Connection c, UUID runId, String reason, String onlyIn) throws SQLException {
        Optional<RunStore.Locked> locked = RunSql.lockSkipLocked(c, runId);
        if (locked.isEmpty() || !locked.get().run().status().canMoveTo(RunStatus.CANCELED)
                || onlyIn != null && !locked.get().run().status().db().equals(onlyIn)) {
            return Optional.empty();
        }
        Run before = locked.get().run();
        Run after = apply(c, before, Transitions.cancel(before, locked.get().now(), reason));
        admit(c, after);
        return Optional.of(after);
    }

    /** Cancels a run inside a caller's transaction (schedules with overlap policy cancel_running). */
    Run cancelIn(Connection c, UUID projectId, UUID runId, String reason) throws SQLException {
        RunStore.Locked locked = RunSql.lock(c, projectId, runId)
                .orElseThrow(() -> new NotFound("run", runId.toString()));
        Run after = apply(c, locked.run(), Transitions.cancel(locked.run(), locked.now(), reason));
        admit(c, after);
        return after;
    }

    // ------------------------------------------------------------------------------ worker moves

    /** A worker gives a run back unfinished (shutdown): queued again at once, attempt not counted. */
    Run release(UUID projectId, UUID runId, String workerId) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            if (r.status() != RunStatus.EXECUTING || !workerId.equals(r.workerId())) {
                throw new Conflict("not_held", "run is " + r.status().db() + "; this worker does not hold it",
                        Map.of("status", r.status().db()));
            }
            return Transitions.release(r);
        }, null);
    }

    /** The worker pauses a run it holds (waiting for something); the wait ends by {@code until}. */
    Run startWaiting(UUID projectId, UUID runId, String workerId, Instant until, String reason) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            requireHeld(r, workerId, RunStatus.EXECUTING);
            return Transitions.startWaiting(r, until, reason);
        }, null);
    }

    /** The worker resumes a run it paused. */
    Run resume(UUID projectId, UUID runId, String workerId, long leaseMs) {
        return change(projectId, runId, (c, locked) -> {
            Run r = locked.run();
            requireHeld(r, workerId, RunStatus.WAITING);
            return Transitions.resume(r, locked.now().plusMillis(leaseMs), locked.now());
        }, null);
    }

    /**
     * The worker lets go of a run it holds until an event with {@code key} is sent, or {@code until}.
     * An event already sent (or a wait of this run for the key that already ran out) answers at
     * once, and the run stays executing under its worker. The key's lock comes first, as in a send,
     * so that a send either comes before (seen here) or after (resolves the waiter inserted here).
     */
    RunStore.EventWait waitForEvent(UUID projectId, UUID runId, String workerId, String key, Instant until) {
        return store.db().tx(c -> {
            RunRecords.lockEventKey(c, projectId, key);
            RunStore.Locked locked = RunSql.lock(c, projectId, runId)
                    .orElseThrow(() -> new NotFound("run", runId.toString()));
            Run r = locked.run();
            requireHeld(r, workerId, RunStatus.EXECUTING);
            if (!"worker".equals(r.execution())) {
                throw new Conflict("not_supported", "an HTTP push run cannot wait for an event", Map.of());
            }
            Optional<String> sent = RunRecords.sentEvent(c, projectId, key);
            if (sent.isPresent()) {
                return new RunStore.EventWait(r, new RunStore.EventOutcome(key, sent.get(), false));
            }
            if (RunRecords.timedOutBefore(c, runId, key)) {
                return new RunStore.EventWait(r, new RunStore.EventOutcome(key, "null", true));
            }
            RunRecords.insertWait(c, projectId, runId, key, until);
            Run after = apply(c, r, Transitions.waitForEvent(r, key, until));
            admit(c, after);
            return new RunStore.EventWait(after, null);
        });
    }

    /** An event resolved a run's wait (in the sending transaction): the run goes back to its queue. */
    void eventReceived(Connection c, UUID projectId, UUID runId, String key) throws SQLException {
        Optional<RunStore.Locked> locked = RunSql.lock(c, projectId, runId);
        if (locked.isEmpty() || locked.get().run().status() != RunStatus.WAITING) {
            return; // canceled (or otherwise moved on) while it waited
        }
        Run after = apply(c, locked.get().run(), Transitions.eventReceived(locked.get().run(), key));
        admit(c, after);
    }

    private static void requireHeld(Run r, String workerId, RunStatus status) {
        if (r.status() != status || !workerId.equals(r.workerId())) {
            throw new Conflict("not_held", "run is " + r.status().db() + "; this worker does not hold it as "
                    + status.db(), Map.of("status", r.status().db()));
        }
    }
}
