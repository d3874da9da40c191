package io.drover.runs;

import io.drover.jobs.JobSpec;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
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

    private final RunStore store;
    private final Sql sql = RunStore.sql();

    public RunMaintenance(RunStore store) {
        this.store = store;
    }

    /** Promotes up to {@code limit} due delayed runs; returns how many. */
    public int promoteDue(int limit) {
        Set<String> ready = new HashSet<>();
        boolean[] http = new boolean[1];
        int promoted = store.db().tx(c -> {
            int n = 0;
            Set<UUID> limitedJobs = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement(sql.get("promote_due"))) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        n++;
                        if (rs.getBoolean(3)) {
                            limitedJobs.add(rs.getObject(4, UUID.class));
                        } else if ("http".equals(rs.getString(2))) {
                            http[0] = true;
                        } else {
                            ready.add(rs.getString(1));
                        }
                    }
                }
            }
            for (UUID job : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, job));
            }
            if (http[0]) {
                ready.add(RunStore.PUSH_QUEUE);
            }
            notify(c, ready);
            return n;
        });
        if (!ready.isEmpty()) {
            store.ready(ready);
        }
        return promoted;
    }

    public Instant nextDelayed() {
        return store.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.get("next_delayed"));
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                Timestamp t = rs.getTimestamp(1);
                return t == null ? null : t.toInstant();
            }
        });
    }

    /** One reaper pass, if this node holds the reaper lock for it; returns the runs handled. */
    public int reap(int limit) {
        Set<String> ready = new HashSet<>();
        List<Run> delayed = new ArrayList<>();
        int handled = store.db().tx(c -> {
            if (!tryLock(c, REAPER_LOCK)) {
                return 0;
            }
            Set<UUID> limitedJobs = new HashSet<>();
            int n = 0;
            for (RunStore.Locked locked : select(c, "expired_leases", limit, 3)) {
                Run after = applyUnlessSettled(c, locked, leaseChange(locked));
                if (after == null) {
                    continue;
                }
                n++;
                collect(after, ready, limitedJobs, delayed);
            }
            for (RunStore.Locked locked : select(c, "ttl_expired", limit, 1)) {
                Run after = applyUnlessSettled(c, locked, Transitions.expire(locked.run(), locked.now()));
                if (after == null) {
                    continue;
                }
                n++;
                collect(after, ready, limitedJobs, delayed);
            }
            for (UUID job : limitedJobs) {
                ready.addAll(ConcurrencyGate.admit(c, job));
            }
            notify(c, ready);
            return n;
        });
        if (handled > 0) {
            store.metrics().reaped(handled);
        }
        if (!ready.isEmpty()) {
            store.ready(ready);
        }
        delayed.forEach(r -> store.events().delayed(r.scheduledAt()));
        return handled;
    }

    /**
     * Applies a reaper change, or returns null when the run changed earlier in this same pass: a
     * workflow whose step run was reaped may cancel sibling runs that this pass also selected.
     */
    private Run applyUnlessSettled(Connection c, RunStore.Locked locked, Transitions.Change change)
            throws SQLException {
        try {
            return store.apply(c, locked.run(), change);
        } catch (io.drover.http.ApiError e) {
            if (e.code().equals("concurrent_change")) {
                return null;
            }
            throw e;
        }
    }

    private Transitions.Change leaseChange(RunStore.Locked locked) {
        Run r = locked.run();
        Instant now = locked.now();
        return switch (r.status()) {
            case DEQUEUED -> Transitions.undequeue(r);
            case WAITING -> Transitions.waitTimedOut(r, now);
            default -> {
                JobSpec spec = store.jobs().spec(r.jobId(), r.jobVersion());
                boolean timedOut = r.deadlineAt() != null && !r.deadlineAt().isAfter(now);
                store.metrics().attemptFailed();
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

    private static void collect(Run after, Set<String> ready, Set<UUID> limitedJobs, List<Run> delayed) {
        if (after.limited()) {
            limitedJobs.add(after.jobId());
        } else if (after.status() == RunStatus.QUEUED) {
            ready.add("http".equals(after.execution()) ? RunStore.PUSH_QUEUE : after.queue());
        }
        if (after.status() == RunStatus.DELAYED) {
            delayed.add(after);
        }
    }

    private List<RunStore.Locked> select(Connection c, String statement, int limit, int limitParams)
            throws SQLException {
        List<RunStore.Locked> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.get(statement))) {
            for (int i = 1; i <= limitParams; i++) {
                ps.setInt(i, limit);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
                }
            }
        }
        return out;
    }

    static boolean tryLock(Connection c, long key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private void notify(Connection c, Set<String> ready) throws SQLException {
        if (ready.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(sql.get("notify"))) {
            ps.setString(1, String.join(",", ready));
            ps.execute();
        }
    }
}
