package io.drover.agents;

import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import java.sql.ResultSet;
import java.time.InstantSource;

/**
 * The liveness pass, on one node at a time (a transaction-scoped advisory lock; a node that does
 * not get it skips the pass, and the lock goes with a dead node's connection): agents whose
 * {@code offline_at} (last heartbeat + offline_after_ms) passed go offline with an
 * {@code agent.offline} event at that time, and commands not finished within their TTL expire.
 * Both are range scans of partial indexes on their due times, so a pass costs the same with ten
 * agents or ten thousand when none is due; nothing is queried per agent.
 */
public final class AgentLiveness extends Service {
    /** pg_advisory_xact_lock key of the pass ("drovagnt"). */
    static final long LOCK_KEY = 0x6472_6f76_6167_6e74L;
    static final int BATCH = 500;

    private final Db db;
    private final InstantSource clock;
    private final long intervalMs;
    private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong passNanos = new java.util.concurrent.atomic.AtomicLong();

    public AgentLiveness(Db db, InstantSource clock, long intervalMs) {
        super("agent-liveness");
        this.db = db;
        this.clock = clock;
        this.intervalMs = intervalMs;
    }

    /** What one pass changed; null from {@link #pass} when another node holds the lock. */
    public record Pass(int offline, int expired) {}

    @Override
    public void runOnce() {
        pass();
    }

    /** One pass now (tests call it after moving the clock). */
    public Pass pass() {
        long started = System.nanoTime();
        Pass p = db.tx(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "try_singleton_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return null;
                    }
                }
            }
            var now = SqlTime.now(clock);
            int offline = 0;
            int n;
            do {
                try (Query q = AgentStore.SQL.prepare(c, "mark_offline")) {
                    q.set("now", now).set("batch", BATCH);
                    try (ResultSet rs = q.query()) {
                        rs.next();
                        n = rs.getInt(1);
                    }
                }
                offline += n;
            } while (n >= BATCH);
            int expired = 0;
            do {
                try (Query q = AgentStore.SQL.prepare(c, "expire_commands")) {
                    n = q.set("now", now).set("batch", BATCH).update();
                }
                expired += n;
            } while (n >= BATCH);
            return new Pass(offline, expired);
        });
        if (p != null) {
            passes.incrementAndGet();
            passNanos.addAndGet(System.nanoTime() - started);
        }
        return p;
    }

    /** Passes this node ran (with the lock) since it started, and their total time: what the pass costs. */
    public long passes() {
        return passes.get();
    }

    public long passNanos() {
        return passNanos.get();
    }

    @Override
    protected long nextWaitMs() {
        return intervalMs;
    }
}
