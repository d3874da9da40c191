package io.drover.usage;

import io.drover.eventlog.Event;
import io.drover.eventlog.EventReader;
import io.drover.maintenance.Service;
import io.drover.store.Db;
import io.drover.store.Query;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The hourly run rollup (job_hourly), on one node at a time: each pass is one transaction that
 * takes an advisory lock (another node holding it skips), locks the cursor, reads up to
 * {@link #BATCH} events of the event log after it, counts the runs that finished (completed,
 * failed, dead-lettered, canceled, expired) per project, job and hour of the event, with their
 * durations in the fixed histogram ({@link Histogram}), and moves the cursor. Counts and cursor
 * commit together: no event is counted twice or lost. Nothing is added to the claim or complete
 * path; the cost is one read of the batch's runs by id per pass.
 */
public final class RunRollups extends Service {
    /** pg_advisory_xact_lock key of the rollup ("drovrrol"). */
    static final long LOCK_KEY = 0x6472_6f76_7272_6f6cL;
    /**
     * Events per pass. An event-log page re-reads every event of its fences up to the limit, sorted
     * (sql/eventlog.sql, run_events_in), so small pages re-read a burst many times: at 2,000 a page
     * the e2e benchmark's PostgreSQL spent 21 s per 100,000 runs in this loop's reads (549 ms a page).
     */
    static final int BATCH = 20_000;
    static final Set<String> FINISHED = Set.of("run.completed", "run.failed", "run.dead_lettered", "run.canceled",
            "run.expired");

    private final Db db;
    private final EventReader reader;
    private final long pollMs;

    public RunRollups(Db db, EventReader reader, long pollMs) {
        super("run-rollups");
        this.db = db;
        this.reader = reader;
        this.pollMs = pollMs;
    }

    @Override
    public void runOnce() {
        while (pass() >= BATCH) {
            // a full batch: go on at once
        }
    }

    @Override
    protected long nextWaitMs() {
        return pollMs;
    }

    private record Key(UUID projectId, UUID jobId, Instant hour) {}

    private static final class Row {
        long runs;
        long completed;
        long failed;
        long canceled;
        long other;
        long durationCount;
        double durationSumMs;
        long[] buckets = new long[Histogram.BUCKETS];
    }

    private record Finished(UUID projectId, UUID jobId, Instant startedAt, Instant finishedAt) {}

    /** One transaction; the number of events read (0 when another node holds the lock). */
    public int pass() {
        return db.tx(c -> {
            try (Query q = Pricing.SQL.prepare(c, "try_rollup_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return 0;
                    }
                }
            }
            String cursor;
            try (Query q = Pricing.SQL.prepare(c, "lock_rollup_cursor"); ResultSet rs = q.query()) {
                rs.next();
                cursor = rs.getString(1);
            }
            List<Event> events = reader.after(c, cursor, null, BATCH);
            if (events.isEmpty()) {
                return 0;
            }
            List<Event> finished = events.stream().filter(e -> e.runId() != null && FINISHED.contains(e.type())).toList();
            if (!finished.isEmpty()) {
                add(c, finished);
            }
            try (Query q = Pricing.SQL.prepare(c, "move_rollup_cursor")) {
                q.set("cursor", events.get(events.size() - 1).id()).update();
            }
            return events.size();
        });
    }

    private static void add(Connection c, List<Event> events) throws SQLException {
        Map<UUID, Finished> runs = new HashMap<>();
        try (Query q = Pricing.SQL.prepare(c, "finished_runs")) {
            q.setArray("ids", "uuid", events.stream().map(Event::runId).distinct().toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    runs.put(rs.getObject(1, UUID.class), new Finished(rs.getObject(2, UUID.class),
                            rs.getObject(3, UUID.class), instant(rs.getTimestamp(4)), instant(rs.getTimestamp(5))));
                }
            }
        }
        Map<Key, Row> rows = new LinkedHashMap<>();
        for (Event e : events) {
            Finished f = runs.get(e.runId());
            if (f == null) {
                continue; // pruned before the rollup read it
            }
            Row r = rows.computeIfAbsent(new Key(f.projectId(), f.jobId(), e.occurredAt().truncatedTo(ChronoUnit.HOURS)),
                    k -> new Row());
            r.runs++;
            switch (e.type()) {
                case "run.completed" -> r.completed++;
                case "run.failed", "run.dead_lettered" -> r.failed++;
                case "run.canceled" -> r.canceled++;
                default -> r.other++;
            }
            if (f.startedAt() != null && f.finishedAt() != null && !f.finishedAt().isBefore(f.startedAt())) {
                double ms = java.time.Duration.between(f.startedAt(), f.finishedAt()).toNanos() / 1e6;
                r.durationCount++;
                r.durationSumMs += ms;
                r.buckets[Histogram.bucket(ms)]++;
            }
        }
        for (Map.Entry<Key, Row> en : rows.entrySet()) {
            Key k = en.getKey();
            Row add = en.getValue();
            Row sum = new Row();
            try (Query q = Pricing.SQL.prepare(c, "job_hourly_get")) {
                q.set("project_id", k.projectId()).set("job_id", k.jobId()).set("hour", Timestamp.from(k.hour()));
                try (ResultSet rs = q.query()) {
                    if (rs.next()) {
                        read(rs, 1, sum);
                    }
                }
            }
            sum.runs += add.runs;
            sum.completed += add.completed;
            sum.failed += add.failed;
            sum.canceled += add.canceled;
            sum.other += add.other;
            sum.durationCount += add.durationCount;
            sum.durationSumMs += add.durationSumMs;
            for (int i = 0; i < Histogram.BUCKETS; i++) {
                sum.buckets[i] += add.buckets[i];
            }
            try (Query q = Pricing.SQL.prepare(c, "job_hourly_put")) {
                q.set("project_id", k.projectId()).set("job_id", k.jobId()).set("hour", Timestamp.from(k.hour()))
                        .set("runs", sum.runs).set("completed", sum.completed).set("failed", sum.failed)
                        .set("canceled", sum.canceled).set("other", sum.other).set("duration_count", sum.durationCount)
                        .set("duration_sum_ms", sum.durationSumMs)
                        .setArray("duration_buckets", "bigint", box(sum.buckets)).update();
            }
        }
    }

    /** Reads runs .. duration_buckets starting at column {@code at} into {@code r}. */
    static void read(ResultSet rs, int at, Row r) throws SQLException {
        r.runs = rs.getLong(at);
        r.completed = rs.getLong(at + 1);
        r.failed = rs.getLong(at + 2);
        r.canceled = rs.getLong(at + 3);
        r.other = rs.getLong(at + 4);
        r.durationCount = rs.getLong(at + 5);
        r.durationSumMs = rs.getDouble(at + 6);
        r.buckets = buckets(rs.getArray(at + 7));
    }

    static long[] buckets(Array a) throws SQLException {
        long[] out = new long[Histogram.BUCKETS];
        if (a == null) {
            return out;
        }
        Object[] values = (Object[]) a.getArray();
        for (int i = 0; i < values.length && i < out.length; i++) {
            out[i] = values[i] == null ? 0 : ((Number) values[i]).longValue();
        }
        return out;
    }

    private static Long[] box(long[] v) {
        Long[] out = new Long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** What one hour of a job holds, for the metrics route. */
    record Hour(Instant hour, long runs, long completed, long failed, long[] buckets) {}

    static List<Hour> hours(Connection c, UUID projectId, UUID jobId, Instant since, Instant until) throws SQLException {
        List<Hour> out = new ArrayList<>();
        try (Query q = Pricing.SQL.prepare(c, "job_hourly_range")) {
            q.set("project_id", projectId).set("job_id", jobId).set("since", Timestamp.from(since))
                    .set("until", Timestamp.from(until));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    Row r = new Row();
                    read(rs, 2, r);
                    out.add(new Hour(rs.getTimestamp(1).toInstant(), r.runs, r.completed, r.failed, r.buckets));
                }
            }
        }
        return out;
    }
}
