package io.drover.retention;

import io.drover.store.Db;
import io.drover.store.DbException;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions of {@code run_events} (V17, docs/decisions.md §23): {@code PARTITION BY RANGE
 * (run_id)}, one partition per UTC month of UUIDv7 run ids ({@code run_events_pYYYYMM}), the
 * table that was there before V17 as {@code run_events_p0} for every id below its bound, and
 * {@code run_events_default} for ids above the last partition, so that an insert never fails.
 *
 * <p>The retention pass {@link #ensure creates} the partitions of the current month and the
 * {@code ahead} months after it (moving into a new partition any rows the default partition took
 * for its range), and {@link #drop drops} a partition of the past once no run with an id in its
 * range exists any more. Both are catalog changes: creating attaches a table made outside the
 * partitioned table (SHARE UPDATE EXCLUSIVE on run_events, inserts go on; ACCESS EXCLUSIVE on the
 * default partition while it is checked, empty in the normal case); dropping takes ACCESS EXCLUSIVE
 * on run_events for a moment, with a lock timeout so that it never queues the claim path behind a
 * long transaction (a timed-out drop is tried again by the next pass).
 */
public final class EventPartitions {
    private static final Logger log = LoggerFactory.getLogger(EventPartitions.class);
    static final Sql SQL = RetentionPass.SQL;
    /** Whole months of partitions kept ready after the current one. */
    public static final int AHEAD = 3;
    /** A partition is "of the past" once its upper bound is this far behind the clock (clock skew of run ids). */
    static final long PAST_MARGIN_SECS = 86_400;
    /** How long a drop waits for its ACCESS EXCLUSIVE lock on run_events before it gives up until the next pass. */
    static final String DROP_LOCK_TIMEOUT = "500ms";
    static final UUID MIN = new UUID(0, 0);
    private static final Pattern BOUNDS = Pattern.compile(
            "FROM \\((MINVALUE|'[0-9a-f-]{36}')\\) TO \\((MAXVALUE|'[0-9a-f-]{36}')\\)");
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMM");

    /**
     * One partition: its ids run from {@code lo} (inclusive; null for MINVALUE) to {@code hi}
     * (exclusive); both null for the default partition. Bounds are UUIDv7 floors, kept as Unix
     * milliseconds.
     */
    public record Partition(String name, Long lo, Long hi, boolean isDefault) {
        UUID loId() {
            return lo == null ? MIN : floor(lo);
        }

        UUID hiId() {
            return floor(hi);
        }
    }

    private final Db db;

    public EventPartitions(Db db) {
        this.db = db;
    }

    /** The smallest UUID whose UUIDv7 timestamp is {@code millis}. */
    public static UUID floor(long millis) {
        return new UUID(millis << 16, 0);
    }

    /** The partitions, ranged ones by their lower bound, the default one last. */
    public List<Partition> list() {
        return db.read(c -> {
            List<Partition> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "event_partitions"); ResultSet rs = q.query()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    String bound = rs.getString(2);
                    if (bound.equals("DEFAULT")) {
                        out.add(new Partition(name, null, null, true));
                        continue;
                    }
                    Matcher m = BOUNDS.matcher(bound);
                    if (!m.find()) {
                        throw new IllegalStateException("run_events partition " + name + ": bound " + bound);
                    }
                    out.add(new Partition(name, millis(m.group(1)), millis(m.group(2)), false));
                }
            }
            out.sort(Comparator.comparing(Partition::isDefault)
                    .thenComparing(p -> p.lo() == null ? Long.MIN_VALUE : p.lo()));
            return out;
        });
    }

    private static Long millis(String bound) {
        if (bound.endsWith("VALUE")) {
            return null;
        }
        return UUID.fromString(bound.substring(1, bound.length() - 1)).getMostSignificantBits() >>> 16;
    }

    /**
     * Creates the missing monthly partitions up to the end of the month {@code ahead} months after
     * {@code now}'s, each starting where the last one ends; the names of those it created.
     *
     * <p>Only ranges that start more than a day after {@code now}: nothing writes to them yet. An
     * insert routed to the default partition just before a partition for its range is attached fails
     * (PostgreSQL re-checks the default partition's bound after waiting for its lock), so a range that
     * may be written to right now is never attached. In normal operation the partitions are made
     * {@code ahead} months early and this never matters; if the pass did not run for that long, the
     * months it missed stay in the default partition (pruned row by row) and partitions start again
     * after them.
     */
    public List<String> ensure(Instant now, int ahead) {
        List<String> created = new ArrayList<>();
        long target = monthStart(now).plusMonths(ahead + 1L).toInstant().toEpochMilli();
        long top = Long.MIN_VALUE;
        for (Partition p : list()) {
            if (!p.isDefault() && p.hi() != null) {
                top = Math.max(top, p.hi());
            }
        }
        long earliest = now.toEpochMilli() + PAST_MARGIN_SECS * 1000;
        if (top < earliest) {
            ZonedDateTime m = monthStart(Instant.ofEpochMilli(earliest));
            long next = m.toInstant().toEpochMilli() < earliest ? m.plusMonths(1).toInstant().toEpochMilli()
                    : m.toInstant().toEpochMilli();
            if (top != Long.MIN_VALUE) {
                log.warn("run_events partitions end at {}, less than a day ahead: ids up to {} stay in {}",
                        Instant.ofEpochMilli(top), Instant.ofEpochMilli(next), "run_events_default");
            }
            top = next;
        }
        while (top < target) {
            long lo = top;
            ZonedDateTime start = Instant.ofEpochMilli(lo).atZone(ZoneOffset.UTC);
            long hi = monthStart(Instant.ofEpochMilli(lo)).plusMonths(1).toInstant().toEpochMilli();
            String name = "run_events_p" + NAME.format(start);
            create(name, lo, hi);
            created.add(name);
            top = hi;
        }
        if (!created.isEmpty()) {
            log.info("run_events partitions created: {}", created);
        }
        return created;
    }

    private static ZonedDateTime monthStart(Instant t) {
        return t.atZone(ZoneOffset.UTC).withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC);
    }

    /**
     * One partition, in one transaction: made outside run_events (its indexes come from the
     * parent's when it is attached, built on an empty table), filled with the rows the default
     * partition holds for its range (none unless the pass did not run for a long time), attached.
     */
    private void create(String name, long lo, long hi) {
        String from = floor(lo).toString();
        String to = floor(hi).toString();
        db.tx(c -> {
            try (Statement s = c.createStatement()) {
                // first: an insert into the default partition between the move and the attach would make
                // the attach fail; inserts routed to the other partitions do not wait for this lock
                s.execute("LOCK TABLE run_events_default IN ACCESS EXCLUSIVE MODE");
                s.execute("CREATE TABLE " + name + " (LIKE run_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
                        + " INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)"
                        + " WITH (autovacuum_vacuum_insert_scale_factor = 0.02)");
                s.execute("ALTER TABLE " + name + " ADD CONSTRAINT " + name + "_bound CHECK (run_id >= '" + from
                        + "'::uuid AND run_id < '" + to + "'::uuid)");
                int moved = s.executeUpdate("WITH moved AS (DELETE FROM run_events_default WHERE run_id >= '" + from
                        + "'::uuid AND run_id < '" + to + "'::uuid RETURNING *) INSERT INTO " + name
                        + " SELECT * FROM moved");
                if (moved > 0) {
                    log.warn("run_events partition {}: {} rows moved in from the default partition", name, moved);
                }
                s.execute("ALTER TABLE run_events ATTACH PARTITION " + name + " FOR VALUES FROM ('" + from
                        + "') TO ('" + to + "')");
                s.execute("ALTER TABLE " + name + " DROP CONSTRAINT " + name + "_bound");
            }
            return null;
        });
    }

    /** The ranged partitions whose ids all lie more than a day before {@code now}, oldest first. */
    public List<Partition> past(Instant now) {
        long limit = now.minusSeconds(PAST_MARGIN_SECS).toEpochMilli();
        return list().stream().filter(p -> !p.isDefault() && p.hi() != null && p.hi() <= limit).toList();
    }

    /** Whether any run has an id in [{@code lo}, {@code hi}) (a gap between partitions: the default partition's). */
    public boolean hasRuns(UUID lo, UUID hi) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "event_partition_has_runs")) {
                q.set("lo", lo).set("hi", hi);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
    }

    /**
     * Whether a run with an id in {@code p}'s range outlives a retention pass at {@code now}: it is
     * not finished, its project keeps runs forever or it finished inside the project's window, or
     * its workflow run is kept.
     */
    public boolean keepsRuns(Partition p, Instant now) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "event_partition_keeps")) {
                q.set("lo", p.loId()).set("hi", p.hiId()).set("now", Timestamp.from(now));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
    }

    /**
     * Drops {@code p} if no run has an id in its range; whether it did. The check is repeated under
     * the ACCESS EXCLUSIVE lock on run_events: a run is made by a statement that also writes its
     * first event, so no run can appear in the range between the check and the drop.
     */
    public boolean drop(Partition p) {
        if (hasRuns(p)) {
            return false;
        }
        try {
            return db.tx(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL lock_timeout = '" + DROP_LOCK_TIMEOUT + "'");
                    s.execute("LOCK TABLE run_events IN ACCESS EXCLUSIVE MODE");
                }
                if (!exists(c, p.name()) || hasRuns(c, p)) {
                    return false;
                }
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE " + p.name());
                }
                return true;
            });
        } catch (DbException e) {
            if (e.getCause() instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
                log.info("run_events partition {} not dropped: run_events busy, next pass", p.name());
                return false;
            }
            throw e;
        }
    }

    private boolean hasRuns(Partition p) {
        return db.read(c -> hasRuns(c, p));
    }

    private static boolean hasRuns(Connection c, Partition p) throws SQLException {
        try (Query q = SQL.prepare(c, "event_partition_has_runs")) {
            q.set("lo", p.loId()).set("hi", p.hiId());
            try (ResultSet rs = q.query()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        try (Query q = SQL.prepare(c, "event_partition_exists")) {
            q.set("name", name);
            try (ResultSet rs = q.query()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
