package io.drover.runs;

import io.drover.jobs.JobSpec;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.Statement;
import io.drover.store.TxEffects;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The time-driven transitions: delayed runs that are due, expired leases (crashed), passed
 * deadlines (timed out), waits that ran out, and TTLs. Called by the background services in
 * {@code io.drover.maintenance}; each pass is one transaction.
 */
public final class RunMaintenance {
    /** Advisory lock key of the reaper singleton (any node may hold it, one at a time). */
    static final long REAPER_LOCK = 0x44524F5645520001L;

    private static final Statement PROMOTE_DUE = RunSql.SQL.statement("promote_due");
    private static final Statement NEXT_DELAYED = RunSql.SQL.statement("next_delayed");
    private static final Statement EXPIRED_LEASES = RunSql.SQL.statement("expired_leases");
    private static final Statement TTL_EXPIRED = RunSql.SQL.statement("ttl_expired");
    private static final Statement REAPER_TRY_LOCK = RunSql.SQL.statement("reaper_try_lock");

    private final RunStore store;

    public RunMaintenance(RunStore store) {
        this.store = store;
    }

    /** Promotes up to {@code limit} due delayed runs; returns how many. */
    public int promoteDue(int limit) {
        return store.db().tx(c -> {
            int n = 0;
            Set<String> ready = new HashSet<>();
            Set<UUID> limitedJobs = new HashSet<>();
            boolean http = false;
            try (Query q = PROMOTE_DUE.prepare(c)) {
                q.set("now", SqlTime.now(store.clock()), Types.TIMESTAMP).set("limit", limit);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        n++;
                        if (rs.getBoolean(3)) {
                            limitedJobs.add(rs.getObject(4, UUID.class));
                        } else if ("http".equals(rs.getString(2))) {
                            http = true;
                        } else {
                            ready.add(rs.getString(1));
                        }
                    }
                }
            }
            for (UUID job : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, job));
            }
            if (http) {
                ready.add(RunStore.PUSH_QUEUE);
            }
            store.changes().readyIn(c, ready);
            return n;
        });
    }

    public Instant nextDelayed() {
        return store.db().read(c -> {
            try (Query q = NEXT_DELAYED.prepare(c);
                    ResultSet rs = q.query()) {
                rs.next();
                Timestamp t = rs.getTimestamp(1);
                return t == null ? null : t.toInstant();
            }
        });
    }

    /** One reaper pass, if this node holds the reaper lock for it; returns the runs handled. */
    public int reap(int limit) {
        return store.db().tx(c -> {
            if (!tryLock(c, REAPER_LOCK)) {
                return 0;
            }
            Set<String> ready = new HashSet<>();
            Set<UUID> limitedJobs = new HashSet<>();
            int n = 0;
            Timestamp now = SqlTime.now(store.clock());
            for (RunStore.Locked locked : RunSql.lockedBy(c, EXPIRED_LEASES, now, limit)) {
                Transitions.Change change = leaseChange(c, locked);
                if (change == null) {
                    continue; // an event wait a send is resolving right now
                }
                Run after = applyUnlessSettled(c, locked, change);
                if (after == null) {
                    continue;
                }
                n++;
                collect(after, ready, limitedJobs);
            }
            for (RunStore.Locked locked : RunSql.lockedBy(c, TTL_EXPIRED, now, limit)) {
                Run after = applyUnlessSettled(c, locked, Transitions.expire(locked.run(), locked.now()));
                if (after == null) {
                    continue;
                }
                n++;
                collect(after, ready, limitedJobs);
            }
            for (UUID job : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, job));
            }
            store.changes().readyIn(c, ready);
            store.db().effects(c).count(TxEffects.Count.REAPED, n);
            return n;
        });
    }

    /**
     * Applies a reaper change, or returns null when the run changed earlier in this same pass: a
     * workflow whose step run was reaped may cancel sibling runs that this pass also selected.
     */
    private Run applyUnlessSettled(Connection c, RunStore.Locked locked, Transitions.Change change)
            throws SQLException {
        try {
            return store.apply(c, locked.run(), change);
        } catch (ConcurrentChange e) {
            return null;
        }
    }

    private Transitions.Change leaseChange(Connection c, RunStore.Locked locked) throws SQLException {
        Run r = locked.run();
        Instant now = locked.now();
        return switch (r.status()) {
            case DEQUEUED -> Transitions.undequeue(r);
            case WAITING -> waitEnded(c, r, now);
            default -> {
                JobSpec spec = store.jobs().spec(r.jobId(), r.jobVersion());
                boolean timedOut = r.deadlineAt() != null && !r.deadlineAt().isAfter(now);
                store.db().effects(c).count(TxEffects.Count.ATTEMPT_FAILED, 1);
                store.db().effects(c).attemptFailed(r.jobSlug(), r.queue(), RunCompletions.attemptMs(r, now));
                if (timedOut) {
                    String error = io.drover.http.Json.write(io.drover.http.Json.object().put("type", "timeout")
                            .put("message", "attempt " + r.attempt() + " ran past timeout_secs=" + r.timeoutSecs()));
                    yield Transitions.attemptEnded(r, spec, Transitions.Outcome.TIMED_OUT, error, true, now);
                }
                String error = io.drover.http.Json.write(io.drover.http.Json.object().put("type", "lease_expired")
                        .put("message", "worker " + r.workerId() + " stopped heartbeating; its lease expired at "
                                + r.leaseExpiresAt()));
                yield Transitions.attemptEnded(r, spec, Transitions.Outcome.CRASHED, error, true, now);
            }
        };
    }

    /**
     * A wait ran out. An event wait (a run its worker let go of) goes back to its queue, its claim
     * saying the wait timed out; null when a send holds the waiter (it queues the run itself). A
     * worker's pause ends timed out.
     */
    private static Transitions.Change waitEnded(Connection c, Run r, Instant now) throws SQLException {
        if (r.workerId() == null) {
            List<String> keys = RunRecords.endWaits(c, r.id(), "timed_out");
            if (!keys.isEmpty()) {
                return Transitions.eventWaitTimedOut(r, keys.get(0));
            }
            if (RunRecords.hasOpenWait(c, r.id())) {
                return null;
            }
        }
        return Transitions.waitTimedOut(r, now);
    }

    private static void collect(Run after, Set<String> ready, Set<UUID> limitedJobs) {
        if (after.limited()) {
            limitedJobs.add(after.jobId());
        } else if (after.status() == RunStatus.QUEUED) {
            ready.add("http".equals(after.execution()) ? RunStore.PUSH_QUEUE : after.queue());
        }
    }

    static boolean tryLock(Connection c, long key) throws SQLException {
        try (Query q = REAPER_TRY_LOCK.prepare(c)) {
            q.set("key", key);
            try (ResultSet rs = q.query()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

}
