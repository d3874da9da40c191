package io.drover.retention;

import io.drover.audit.AuditLog;
import io.drover.audit.AuditPrune;
import io.drover.identity.LoginThrottle;
import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforced retention (issue 16). Once an hour, on one node at a time, and on demand for one project
 * ({@code POST /v1/maintenance/retention}): for each project with {@code retention_days}, finished
 * runs with their events and list rows, finished workflow runs with everything hanging off them,
 * and schedule ticks older than the window; for each project with {@code audit_retention_days}, the
 * oldest audit rows (moving the chain's signed start anchor, see {@link AuditPrune}); and the global
 * housekeeping: expired sessions, used or expired invitations and password resets, spent login
 * failure counters. The hourly pass also keeps the partitions of {@code run_events} ready ahead of
 * time and drops those of the past whose runs are all gone ({@link EventPartitions}); the answer
 * counts them as {@code run_events_partitions}.
 *
 * <p>Every delete takes at most {@code batch} rows in its own short transaction, with SKIP LOCKED,
 * and the pass sleeps {@code pauseMs} between batches so that a large backlog is worked off without
 * crowding the claim path (measured by bench/retention). Later capabilities (webhook deliveries,
 * external tasks, usage rows) plug into the same pass with {@link #addTarget}.
 *
 * <p>One node at a time: the hourly pass holds a transaction-scoped advisory lock on a dedicated
 * connection for its whole length (the batches commit on pooled connections meanwhile); a node
 * that does not get the lock skips the pass, and if the holder dies the lock goes with its
 * connection. The on-demand pass for one project does not take it: SKIP LOCKED keeps two passes
 * from taking the same rows, and the audit head's row lock serializes audit pruning.
 */
public final class RetentionPass extends Service {
    private static final Logger log = LoggerFactory.getLogger(RetentionPass.class);
    static final Sql SQL = Sql.load("/sql/retention.sql");
    /** pg_advisory_xact_lock key of the hourly pass ("drovretn"). */
    static final long LOCK_KEY = 0x6472_6f76_7265_746eL;
    /** How long schedule ticks are kept in a project without {@code retention_days}. */
    public static final int DEFAULT_TICK_DAYS = 30;
    /**
     * How long the event log's own rows are kept: log_events in a project without
     * {@code retention_days}, and event_fences (global; the newest always stays). A reader that
     * resumes from an id older than the oldest kept fence starts at the oldest kept events.
     */
    public static final int DEFAULT_EVENT_DAYS = 30;
    public static final long INTERVAL_MS = 3_600_000;
    /** Rows per delete transaction: small enough that each commits in milliseconds. */
    public static final int BATCH = 500;
    /** Sleep between full batches, so that a backlog of millions does not crowd the claim path. */
    public static final long PAUSE_MS = 10;

    /**
     * One kind of rows a project's window applies to: a statement of {@code sql} taking
     * {@code :project_id}, {@code :cutoff} and {@code :batch} (and {@code :events_from} if it
     * deletes run events: see {@link #eventsFrom}) that deletes at most {@code :batch} primary rows
     * and either answers one row of counts, in the order of {@code counts} (the first being the
     * primary rows), or is a plain DELETE (its update count is {@code counts.get(0)}).
     */
    public record Target(Sql sql, String statement, List<String> counts) {}

    private final Db db;
    private final EventPartitions partitions;
    private final AuditPrune audit;
    private final InstantSource clock;
    private final long intervalMs;
    private final int batch;
    private final long pauseMs;
    private final List<Target> targets = new CopyOnWriteArrayList<>(List.of(
            new Target(SQL, "delete_runs", List.of("runs", "run_events", "run_list", "run_checkpoints",
                    "run_tool_calls", "event_triggers")),
            new Target(SQL, "delete_workflow_runs", List.of("workflow_runs", "workflow_step_runs",
                    "workflow_step_decisions", "approvals", "event_triggers", "runs", "run_events", "run_list",
                    "run_checkpoints", "run_tool_calls"))));

    /** The hourly pass with the default batch and pause. */
    public RetentionPass(Db db, AuditLog audit, InstantSource clock) {
        this(db, audit, clock, INTERVAL_MS, BATCH, PAUSE_MS);
    }

    public RetentionPass(Db db, AuditLog audit, InstantSource clock, long intervalMs, int batch, long pauseMs) {
        super("retention");
        this.db = db;
        this.partitions = new EventPartitions(db);
        this.audit = new AuditPrune(audit);
        this.clock = clock;
        this.intervalMs = intervalMs;
        this.batch = batch;
        this.pauseMs = pauseMs;
    }

    /** Another kind of rows that {@code retention_days} applies to (wiring time). */
    public void addTarget(Target t) {
        targets.add(t);
    }

    /** The hourly pass: every project, then the global housekeeping; skipped when another node holds the lock. */
    @Override
    public void runOnce() throws Exception {
        runHourly();
    }

    /** {@link #runOnce}, answering what it deleted, or null when another node holds the lock. */
    public Map<String, Long> runHourly() throws SQLException {
        try (Connection lock = db.openDedicated()) {
            lock.setAutoCommit(false);
            try (Query q = SQL.prepare(lock, "try_singleton_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        log.debug("retention pass skipped: another node runs it");
                        return null;
                    }
                }
            }
            try {
                long started = System.nanoTime();
                Instant now = clock.instant();
                try {
                    partitions.ensure(now, EventPartitions.AHEAD);
                } catch (RuntimeException e) {
                    // the partitions are made months ahead and the default partition takes what has none:
                    // a failure here is retried next hour and must not stop the pruning
                    log.warn("run_events partitions not made ahead this pass: {}", e.toString());
                }
                Map<String, Long> deleted = run(null, eventsFrom(now));
                deleted.putAll(housekeeping());
                long ms = (System.nanoTime() - started) / 1_000_000;
                log.info("retention pass: {} in {} ms", nonZero(deleted), ms);
                return deleted;
            } finally {
                lock.rollback();
            }
        }
    }

    @Override
    protected long nextWaitMs() {
        return intervalMs;
    }

    /** One pass for one project now (no global housekeeping); what it deleted, every kind named. */
    public Map<String, Long> runProject(UUID projectId) {
        return run(projectId, EventPartitions.MIN);
    }

    /** The partitions of run_events: made ahead and dropped by the hourly pass. */
    public EventPartitions partitions() {
        return partitions;
    }

    /**
     * Where row-wise deletion of run events starts: the upper bound of the oldest partitions of the
     * past (all of them from the lowest on, without a gap) in which every run goes in this pass.
     * Their events are not deleted row by row: the partitions are dropped whole after the runs are
     * gone. The nil uuid (delete every event row-wise) when the oldest partition keeps a run.
     */
    UUID eventsFrom(Instant now) {
        UUID from = EventPartitions.MIN;
        for (EventPartitions.Partition p : partitions.past(now)) {
            // a gap below p (a dropped partition, or months the default partition took) must hold no run:
            // the events of its runs are in the default partition, which is never dropped
            if (!p.loId().equals(from) && partitions.hasRuns(from, p.loId())) {
                break;
            }
            if (partitions.keepsRuns(p, now)) {
                break;
            }
            from = p.hiId();
        }
        return from;
    }

    /** Drops every partition of the past that no run's id falls in any more; how many. */
    private long dropPartitions() {
        long dropped = 0;
        List<String> names = new ArrayList<>();
        for (EventPartitions.Partition p : partitions.past(clock.instant())) {
            if (partitions.drop(p)) {
                dropped++;
                names.add(p.name());
            }
        }
        if (!names.isEmpty()) {
            log.info("retention: run_events partitions dropped: {}", names);
        }
        return dropped;
    }

    private record Windows(UUID projectId, Integer retentionDays, Integer auditDays) {}

    /**
     * The projects' windows; {@code projectId} null: every project. Events of runs with ids below
     * {@code eventsFrom} are left to their partition, dropped whole at the end.
     */
    private Map<String, Long> run(UUID projectId, UUID eventsFrom) {
        Map<String, Long> deleted = new LinkedHashMap<>();
        for (Target t : targets) {
            t.counts().forEach(n -> deleted.put(n, 0L));
        }
        deleted.put("run_events_partitions", 0L);
        deleted.put("schedule_ticks", 0L);
        deleted.put("log_events", 0L);
        deleted.put("audit_log", 0L);
        List<Windows> projects = db.read(c -> {
            List<Windows> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "projects")) {
                q.set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(new Windows(rs.getObject(1, UUID.class), (Integer) rs.getObject(2),
                                (Integer) rs.getObject(3)));
                    }
                }
            }
            return out;
        });
        for (Windows w : projects) {
            if (w.retentionDays() != null) {
                Timestamp cutoff = Timestamp.from(cutoff(w.retentionDays()));
                for (Target t : targets) {
                    drain(t, w.projectId(), cutoff, eventsFrom, deleted);
                }
            }
            int tickDays = w.retentionDays() != null ? w.retentionDays() : DEFAULT_TICK_DAYS;
            drain(new Target(SQL, "delete_schedule_ticks", List.of("schedule_ticks")), w.projectId(),
                    Timestamp.from(cutoff(tickDays)), eventsFrom, deleted);
            int eventDays = w.retentionDays() != null ? w.retentionDays() : DEFAULT_EVENT_DAYS;
            drain(new Target(SQL, "delete_log_events", List.of("log_events")), w.projectId(),
                    Timestamp.from(cutoff(eventDays)), eventsFrom, deleted);
            if (w.auditDays() != null) {
                Instant cutoff = cutoff(w.auditDays());
                int n;
                do {
                    n = db.tx(c -> audit.prune(c, w.projectId(), cutoff, batch));
                    deleted.merge("audit_log", (long) n, Long::sum);
                    pause(n);
                } while (n >= batch);
            }
        }
        deleted.put("run_events_partitions", dropPartitions());
        return deleted;
    }

    /** The global housekeeping of the hourly pass. */
    Map<String, Long> housekeeping() {
        Map<String, Long> deleted = new LinkedHashMap<>();
        Timestamp now = SqlTime.now(clock);
        for (String kind : List.of("sessions", "invitations", "password_resets", "login_failures")) {
            long total = 0;
            int n;
            do {
                n = db.tx(c -> {
                    try (Query q = SQL.prepare(c, "delete_" + kind)) {
                        q.set("now", now).set("batch", batch);
                        if (kind.equals("login_failures")) {
                            q.set("window_secs", LoginThrottle.WINDOW_SECS);
                        }
                        return q.update();
                    }
                });
                total += n;
                pause(n);
            } while (n >= batch);
            deleted.put(kind, total);
        }
        Map<String, Long> ticks = new LinkedHashMap<>(Map.of("schedule_ticks", 0L));
        drain(new Target(SQL, "delete_orphan_ticks", List.of("schedule_ticks")), null,
                Timestamp.from(cutoff(DEFAULT_TICK_DAYS)), EventPartitions.MIN, ticks);
        deleted.put("orphan_schedule_ticks", ticks.get("schedule_ticks"));
        Map<String, Long> fences = new LinkedHashMap<>(Map.of("event_fences", 0L));
        drain(new Target(SQL, "delete_event_fences", List.of("event_fences")), null,
                Timestamp.from(cutoff(DEFAULT_EVENT_DAYS)), EventPartitions.MIN, fences);
        deleted.putAll(fences);
        return deleted;
    }

    /** Runs one target's batches until one comes back short, adding up its counts. */
    private void drain(Target t, UUID projectId, Timestamp cutoff, UUID eventsFrom, Map<String, Long> deleted) {
        long primary;
        do {
            long[] counts = db.tx(c -> {
                try (Query q = t.sql().prepare(c, t.statement())) {
                    if (projectId != null) {
                        q.set("project_id", projectId);
                    }
                    q.set("cutoff", cutoff).set("batch", batch);
                    if (t.sql().statement(t.statement()).parameters().contains("events_from")) {
                        q.set("events_from", eventsFrom);
                    }
                    long[] out = new long[t.counts().size()];
                    if (q.execute()) {
                        try (ResultSet rs = q.jdbc().getResultSet()) {
                            rs.next();
                            for (int i = 0; i < out.length; i++) {
                                out[i] = rs.getLong(i + 1);
                            }
                        }
                    } else {
                        out[0] = q.jdbc().getUpdateCount();
                    }
                    return out;
                }
            });
            for (int i = 0; i < counts.length; i++) {
                deleted.merge(t.counts().get(i), counts[i], Long::sum);
            }
            primary = counts[0];
            pause(primary);
        } while (primary >= batch);
    }

    /** The start of a window of {@code days} days ending now (the database's clock unless a test moves it). */
    private Instant cutoff(int days) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "cutoff")) {
                q.set("now", SqlTime.now(clock)).set("days", days);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return rs.getTimestamp(1).toInstant();
                }
            }
        });
    }

    /** Between full batches: room for the claim path. */
    private void pause(long lastBatch) {
        if (lastBatch >= batch && pauseMs > 0) {
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("retention pass interrupted", e);
            }
        }
    }

    private static Map<String, Long> nonZero(Map<String, Long> m) {
        Map<String, Long> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v != 0) {
                out.put(k, v);
            }
        });
        return out;
    }
}
