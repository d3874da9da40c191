package io.drover.eventlog;

import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the fences of the event log (V15__event_log.sql), on one node at a time: the node whose
 * dedicated connection holds the session advisory lock {@link #LOCK_KEY}; the others try again
 * every second, and take over when the holder's connection goes.
 *
 * <p>A pass reads {@code pg_snapshot_xmin(pg_current_snapshot())} (no transaction id spent) and
 * writes a fence when it moved past the last fence: every transaction below it has finished, so
 * the bucket that the new fence closes is complete. The fence's own transaction moves the xmin by
 * one; that alone does not make another fence, so an idle system writes none. The fence's
 * {@code INSERT} also NOTIFYs {@code drover_event_fences}, which every node's readers hear.
 *
 * <p>When: woken by this node's commits ({@link #poke}, from the after-commit path) and by the
 * runs NOTIFY, at most one fence every {@code activeMs}; polling every {@code activeMs} for two
 * seconds after the last fence that moved (commits of other nodes that NOTIFY nothing), then
 * every {@code idleMs}.
 */
public final class FenceWriter extends Service {
    private static final Logger log = LoggerFactory.getLogger(FenceWriter.class);
    /** pg_advisory_lock key of the fence writer ("drovfenc"). */
    static final long LOCK_KEY = 0x6472_6f76_6665_6e63L;
    static final long ACTIVE_FOR_MS = 2_000;
    static final long STANDBY_MS = 1_000;
    /** How often the BRIN ranges that filled are summarized, at most. */
    static final long SUMMARIZE_MS = 200;

    private final Db db;
    private final EventLog eventLog;
    private final InstantSource clock;
    private final long activeMs;
    private final long idleMs;
    private final AtomicBoolean poked = new AtomicBoolean();
    private Connection conn;
    private volatile boolean leader;
    private long lastXmin;
    private long lastFenceXid = -1;
    private long lastMovedNanos;
    private long lastWriteNanos;
    private long lastSummarizeNanos;
    /** The first block of run_events whose BRIN range may not be summarized yet. */
    private long summarizeFrom;

    public FenceWriter(Db db, EventLog eventLog, InstantSource clock, long activeMs, long idleMs) {
        super("event-fences");
        this.db = db;
        this.eventLog = eventLog;
        this.clock = clock;
        this.activeMs = activeMs;
        this.idleMs = idleMs;
    }

    /** Something may have written events (a commit on this node, a NOTIFY): a pass soon. Cheap. */
    public void poke() {
        if (leader && poked.compareAndSet(false, true)) {
            wake();
        }
    }

    public boolean isLeader() {
        return leader;
    }

    @Override
    public void runOnce() throws Exception {
        poked.set(false);
        try {
            if (conn == null && !acquire()) {
                return;
            }
            long m = snapshotXmin();
            if (m <= lastXmin || (lastXmin == lastFenceXid && m == lastFenceXid + 1)) {
                return; // nothing finished since the last fence but that fence's own transaction
            }
            long wait = activeMs - (System.nanoTime() - lastWriteNanos) / 1_000_000;
            if (wait > 0) {
                Thread.sleep(wait); // one fence per activeMs at most, whatever the commit rate
                m = snapshotXmin();
            }
            write(m);
            if (System.nanoTime() - lastSummarizeNanos >= SUMMARIZE_MS * 1_000_000) {
                summarize();
            }
        } catch (SQLException e) {
            release();
            throw e;
        }
    }

    private boolean acquire() throws SQLException {
        Connection c = db.openDedicated();
        boolean ok = false;
        try {
            try (Query q = EventLog.SQL.prepare(c, "fence_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    ok = rs.getBoolean(1);
                }
            }
            if (!ok) {
                return false;
            }
            try (Query q = EventLog.SQL.prepare(c, "latest_fence"); ResultSet rs = q.query()) {
                lastXmin = rs.next() ? rs.getLong(2) : 0;
            }
            lastFenceXid = -1;
            summarizeFrom = 0;
            try (Query q = EventLog.SQL.prepare(c, "fence_session")) {
                q.execute();
            }
            conn = c;
            leader = true;
            log.info("this node writes the event log's fences");
            return true;
        } finally {
            if (!ok) {
                c.close();
            }
        }
    }

    private long snapshotXmin() throws SQLException {
        try (Query q = EventLog.SQL.prepare(conn, "snapshot_xmin"); ResultSet rs = q.query()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void write(long xmin) throws SQLException {
        try (Query q = EventLog.SQL.prepare(conn, "insert_fence")) {
            q.set("xmin", xmin).set("now", SqlTime.now(clock));
            try (ResultSet rs = q.query()) {
                lastWriteNanos = System.nanoTime();
                if (rs.next()) {
                    lastFenceXid = rs.getLong(2);
                    lastXmin = xmin;
                    lastMovedNanos = lastWriteNanos;
                } else {
                    // a fence at or above this xmin exists (written by another node before we held the lock)
                    try (Query l = EventLog.SQL.prepare(conn, "latest_fence"); ResultSet r2 = l.query()) {
                        lastXmin = r2.next() ? r2.getLong(2) : 0;
                    }
                    return;
                }
            }
        }
        eventLog.fenced();
    }

    /**
     * Summarizes run_events' BRIN ranges that filled (see summarize_run_events_xid), so that a
     * bucket read scans its own pages and not the table's whole unsummarized tail. A VACUUM that
     * holds the table's lock makes it skip (lock_timeout); it tries again next time.
     */
    private void summarize() throws SQLException {
        lastSummarizeNanos = System.nanoTime();
        try (Query q = EventLog.SQL.prepare(conn, "summarize_run_events_xid")) {
            q.set("from_block", summarizeFrom);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    summarizeFrom = rs.getLong(1) + 32;
                }
            }
        } catch (SQLException e) {
            if (!"55P03".equals(e.getSQLState())) {
                throw e;
            }
            log.debug("run_events BRIN summary skipped: {}", e.getMessage());
        }
    }

    @Override
    protected long nextWaitMs() {
        if (!leader) {
            return STANDBY_MS;
        }
        return (System.nanoTime() - lastMovedNanos) / 1_000_000 < ACTIVE_FOR_MS ? activeMs : idleMs;
    }

    private void release() {
        leader = false;
        Connection c = conn;
        conn = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // a broken connection
            }
        }
    }

    /** Stops the loop and lets go of the lock (its connection). */
    public void close() {
        stop();
        release();
    }
}
