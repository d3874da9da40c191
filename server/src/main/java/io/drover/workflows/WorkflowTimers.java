package io.drover.workflows;

import io.drover.events.ApprovalService;
import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The time-driven side of workflows, from rows with due times (so a restart loses nothing):
 * sleeps that end, approvals that expire, event waits and steps that time out, standalone
 * approval requests that expire, and steps blocked on a concurrency key that became free. Runs on
 * every node; the workflow run's row lock and status checks make a step's timer fire once.
 */
public final class WorkflowTimers extends Service {
    private static final int BATCH = 500;
    private final Db db;
    private final Engine engine;
    private final ApprovalService approvals;
    private final long pollMs;
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WorkflowTimers.class);

    public WorkflowTimers(Db db, Engine engine, ApprovalService approvals, long pollMs) {
        this(db, engine, approvals, pollMs, java.time.InstantSource.system());
    }

    private final java.time.InstantSource clock;

    public WorkflowTimers(Db db, Engine engine, ApprovalService approvals, long pollMs,
            java.time.InstantSource clock) {
        super("workflow-timers");
        this.db = db;
        this.engine = engine;
        this.approvals = approvals;
        this.pollMs = pollMs;
        this.clock = clock;
    }

    private record Ref(UUID runId, String stepId) {}

    @Override
    public void runOnce() {
        for (Ref due : refs("due_steps")) {
            try {
                db.tx(c -> {
                    engine.due(c, due.runId(), due.stepId());
                    return null;
                });
            } catch (RuntimeException e) {
                // one step's failure must not hold back the others' timers; it is retried next pass
                log.warn("timer of step {} of workflow run {} failed: {}", due.stepId(), due.runId(), e.toString());
            }
        }
        approvals.expireDue(BATCH);
        unblockKeys();
    }

    private void unblockKeys() {
        List<Object[]> keys = db.read(c -> {
            List<Object[]> out = new ArrayList<>();
            try (Query q = Rows.prepare(c, "blocked_keys", p -> p.set("limit", BATCH)); ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(new Object[] {rs.getObject(1, UUID.class), rs.getString(2)});
                }
            }
            return out;
        });
        for (Object[] k : keys) {
            db.tx(c -> {
                try (Query q = Rows.prepare(c, "try_lock_key",
                        p -> p.set("project", k[0].toString()).set("concurrency_key", (String) k[1]))) {
                    try (ResultSet rs = q.query()) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            return null;
                        }
                    }
                }
                try (Query q = Rows.prepare(c, "key_held", p -> p.set("project_id", k[0]).set("concurrency_key", k[1]));
                        ResultSet rs = q.query()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return null;
                    }
                }
                try (Query q = Rows.prepare(c, "first_blocked",
                        p -> p.set("project_id", k[0]).set("concurrency_key", k[1])); ResultSet rs = q.query()) {
                    if (rs.next()) {
                        engine.unblock(c, rs.getObject(1, UUID.class), rs.getString(2));
                    }
                }
                return null;
            });
        }
    }

    private List<Ref> refs(String statement) {
        return db.read(c -> {
            List<Ref> out = new ArrayList<>();
            try (Query q = Rows.prepare(c, statement, p -> p.set("limit", BATCH).set("now", io.drover.store.SqlTime.now(clock)));
                    ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(new Ref(rs.getObject(1, UUID.class), rs.getString(2)));
                }
            }
            return out;
        });
    }

    /** Until the next due step (a sleep of 300 ms wakes in 300 ms), at most the poll interval. */
    @Override
    protected long nextWaitMs() {
        Long untilDue = db.read(c -> {
            try (Query q = Rows.prepare(c, "next_due", p -> { }); ResultSet rs = q.query()) {
                rs.next();
                java.sql.Timestamp t = rs.getTimestamp(1);
                return t == null ? null : t.getTime() - clock.millis();
            }
        });
        return untilDue == null ? pollMs : Math.max(10, Math.min(pollMs, untilDue));
    }
}
