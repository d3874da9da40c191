package io.drover.slos;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.eventlog.EventWrites;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.jobs.JobListener;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import io.drover.usage.Histogram;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * SLO definitions and their evaluations. An evaluation reads the job's job_hourly rows of the
 * window, writes the result on the SLO's row and as a history row, and, when the status changed,
 * the event of the change ({@code slo.burn_rate_high}, {@code slo.breached}, {@code slo.recovered}):
 * all in the caller's transaction, so a change is told exactly once.
 */
public final class SloStore {
    static final Sql SQL = Sql.load("/sql/slos.sql", Map.of("SLO_COLUMNS", Slo.COLUMNS));
    public static final String BURN_RATE_HIGH = "slo.burn_rate_high";
    public static final String BREACHED = "slo.breached";
    public static final String RECOVERED = "slo.recovered";

    private final Db db;
    private final AuditLog audit;
    private final InstantSource clock;

    public SloStore(Db db, AuditLog audit, InstantSource clock) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
    }

    /** The statements, for the retention target {@code delete_evaluations}. */
    public static Sql sql() {
        return SQL;
    }

    /** What to do when a job is deleted: its SLOs go with it, in the same transaction. */
    public static JobListener jobListener() {
        return new JobListener() {
            @Override
            public void saved(Connection c, Job job, Instant now) {}

            @Override
            public void deleted(Connection c, UUID jobId) throws SQLException {
                try (Query q = SQL.prepare(c, "delete_job_slos")) {
                    q.set("job_id", jobId).update();
                }
            }
        };
    }

    /** Creates an SLO and evaluates it at once (the answer carries real values); audited. */
    public Slo create(UUID projectId, Job job, String name, String metric, double target, int windowDays) {
        return db.tx(c -> {
            UUID id = UuidV7.next();
            try (Query q = SQL.prepare(c, "insert_slo")) {
                q.set("id", id).set("project_id", projectId).set("job_id", job.id()).set("name", name)
                        .set("metric", metric).set("target", target).set("window_days", windowDays)
                        .set("now", SqlTime.now(clock));
                if (q.update() == 0) {
                    throw new Conflict("name_taken", "job '" + job.spec().slug() + "' already has an SLO named '"
                            + name + "'", Map.of("field", "name"));
                }
            }
            Slo made = evaluate(c, find(c, projectId, id), clock.instant());
            audit.append(c, projectId, "slo.create", "slo", id, details(made));
            return made;
        });
    }

    public Slo get(UUID projectId, UUID id) {
        return db.read(c -> find(c, projectId, id));
    }

    private static Slo find(Connection c, UUID projectId, UUID id) throws SQLException {
        try (Query q = SQL.prepare(c, "get_slo")) {
            q.set("project_id", projectId).set("id", id);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("slo", id.toString());
                }
                return Slo.read(rs);
            }
        }
    }

    /** Newest first, {@code limit + 1} rows (the extra one says a next page exists). */
    public List<Slo> list(UUID projectId, UUID jobId, UUID cursor, int limit) {
        return db.read(c -> {
            List<Slo> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_slos")) {
                q.set("project_id", projectId).set("job_id", jobId).set("cursor", cursor).set("limit", limit + 1);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Slo.read(rs));
                    }
                }
            }
            return out;
        });
    }

    /** Deletes an SLO and its history; audited. */
    public Slo delete(UUID projectId, UUID id) {
        return db.tx(c -> {
            Slo slo = find(c, projectId, id);
            try (Query q = SQL.prepare(c, "delete_slo")) {
                q.set("project_id", projectId).set("id", id).update();
            }
            audit.append(c, projectId, "slo.delete", "slo", id, details(slo));
            return slo;
        });
    }

    private static ObjectNode details(Slo s) {
        return Json.object().put("job", s.job()).put("name", s.name()).put("metric", s.metric())
                .put("target", s.target()).put("window_days", s.windowDays());
    }

    /** One history row. */
    public record Evaluation(UUID id, Instant evaluatedAt, String status, Double currentValue, double budgetRemaining,
            double burnRate1h, double burnRate6h, double windowRuns, double windowBad) {
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("evaluated_at", evaluatedAt.toString());
            n.put("status", status);
            n.put("current_value", Slo.round(currentValue));
            n.put("budget_remaining", Slo.round(budgetRemaining));
            n.put("burn_rate_1h", Slo.round(burnRate1h));
            n.put("burn_rate_6h", Slo.round(burnRate6h));
            n.put("window_runs", Slo.round(windowRuns));
            n.put("window_bad", Slo.round(windowBad));
            return n;
        }
    }

    /** An SLO's history, newest first, {@code limit + 1} rows; 404 for an SLO not in the project. */
    public List<Evaluation> evaluations(UUID projectId, UUID sloId, UUID cursor, int limit) {
        return db.read(c -> {
            find(c, projectId, sloId);
            List<Evaluation> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_evaluations")) {
                q.set("project_id", projectId).set("slo_id", sloId).set("cursor", cursor).set("limit", limit + 1);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(new Evaluation(rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant(),
                                rs.getString(3), (Double) rs.getObject(4), rs.getDouble(5), rs.getDouble(6),
                                rs.getDouble(7), rs.getDouble(8), rs.getDouble(9)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Evaluates one SLO at {@code now} in the caller's transaction: the SLO's row, a history row and,
     * if the status changed, its event. Answers the SLO as it now stands.
     */
    Slo evaluate(Connection c, Slo slo, Instant asOf) throws SQLException {
        Instant now = asOf.truncatedTo(ChronoUnit.MICROS); // what the database keeps of it
        List<SloMath.Hour> hours = new ArrayList<>();
        Instant since = now.minus(Duration.ofDays(slo.windowDays())).truncatedTo(ChronoUnit.HOURS);
        Instant until = now.truncatedTo(ChronoUnit.HOURS).plus(SloMath.HOUR);
        try (Query q = SQL.prepare(c, "job_hours")) {
            q.set("project_id", slo.projectId()).set("job_id", slo.jobId()).set("since", Timestamp.from(since))
                    .set("until", Timestamp.from(until));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    hours.add(new SloMath.Hour(rs.getTimestamp(1).toInstant(), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), buckets(rs.getArray(5))));
                }
            }
        }
        SloMath.Result r = SloMath.evaluate(hours, now, slo.metric(), slo.target(), slo.windowDays());
        Slo next = slo.with(r, now);
        Timestamp at = Timestamp.from(now);
        if (!r.status().equals(slo.status())) {
            String type = switch (r.status()) {
                case Slo.BREACHED -> BREACHED;
                case Slo.WARNING -> BURN_RATE_HIGH;
                default -> RECOVERED;
            };
            ObjectNode data = Json.object();
            data.put("slo_id", slo.id().toString());
            data.put("job", slo.job());
            data.put("job_id", slo.jobId().toString());
            data.put("name", slo.name());
            data.put("metric", slo.metric());
            data.put("target", slo.target());
            data.put("window_days", slo.windowDays());
            data.put("status", r.status());
            data.put("previous_status", slo.status());
            data.put("current_value", Slo.round(r.currentValue()));
            data.put("budget_remaining", Slo.round(r.budgetRemaining()));
            data.put("burn_rate_1h", Slo.round(r.burnRate1h()));
            data.put("burn_rate_6h", Slo.round(r.burnRate6h()));
            EventWrites.insert(c, slo.projectId(), type, null, data, SqlTime.now(clock));
        }
        try (Query q = SQL.prepare(c, "update_slo")) {
            q.set("id", slo.id()).set("status", r.status()).set("current_value", r.currentValue())
                    .set("budget_remaining", r.budgetRemaining()).set("burn_rate_1h", r.burnRate1h())
                    .set("burn_rate_6h", r.burnRate6h()).set("evaluated_at", at).update();
        }
        // History: every change, and the first pass of each hour (a pass a minute would write 1,440
        // rows a day per SLO for values that move with the hourly rollup anyway).
        boolean keep = !r.status().equals(slo.status()) || slo.evaluatedAt() == null
                || !slo.evaluatedAt().truncatedTo(ChronoUnit.HOURS).equals(now.truncatedTo(ChronoUnit.HOURS));
        if (!keep) {
            return next;
        }
        try (Query q = SQL.prepare(c, "insert_evaluation")) {
            q.set("id", UuidV7.next()).set("project_id", slo.projectId()).set("slo_id", slo.id())
                    .set("evaluated_at", at).set("status", r.status()).set("current_value", r.currentValue())
                    .set("budget_remaining", r.budgetRemaining()).set("burn_rate_1h", r.burnRate1h())
                    .set("burn_rate_6h", r.burnRate6h()).set("window_runs", r.windowRuns())
                    .set("window_bad", r.windowBad()).update();
        }
        return next;
    }

    private static long[] buckets(Array a) throws SQLException {
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
}
