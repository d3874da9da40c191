package io.drover.slos;

import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The evaluation pass, on one node at a time (a transaction-scoped advisory lock; a node that does
 * not get it skips the pass): every SLO of every project is evaluated at the clock's time from the
 * job_hourly rows of its window, its history gains a row, and a change of status writes its event,
 * in the pass's transaction. Reads never evaluate: an SLO shows what the last pass found.
 */
public final class SloEvaluator extends Service {
    /** pg_advisory_xact_lock key of the pass ("drovslos"). */
    static final long LOCK_KEY = 0x6472_6f76_736c_6f73L;
    /** job_hourly changes by the hour and the rollup runs behind the runs: a minute is timely enough. */
    public static final long INTERVAL_MS = 60_000;
    static final int PAGE = 200;

    private final Db db;
    private final SloStore store;
    private final InstantSource clock;
    private final long intervalMs;

    public SloEvaluator(Db db, SloStore store, InstantSource clock, long intervalMs) {
        super("slo-evaluator");
        this.db = db;
        this.store = store;
        this.clock = clock;
        this.intervalMs = intervalMs;
    }

    @Override
    public void runOnce() {
        pass();
    }

    /** One pass now (tests call it after moving the clock); the SLOs evaluated, -1 when another node holds the lock. */
    public int pass() {
        return db.tx(c -> {
            try (Query q = SloStore.SQL.prepare(c, "try_singleton_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return -1;
                    }
                }
            }
            Instant now = clock.instant();
            int done = 0;
            UUID after = null;
            List<Slo> page;
            do {
                page = new ArrayList<>();
                try (Query q = SloStore.SQL.prepare(c, "due_slos")) {
                    q.set("after", after).set("limit", PAGE);
                    try (ResultSet rs = q.query()) {
                        while (rs.next()) {
                            page.add(Slo.read(rs));
                        }
                    }
                }
                for (Slo slo : page) {
                    store.evaluate(c, slo, now);
                    after = slo.id();
                    done++;
                }
            } while (page.size() >= PAGE);
            return done;
        });
    }

    @Override
    protected long nextWaitMs() {
        return intervalMs;
    }
}
