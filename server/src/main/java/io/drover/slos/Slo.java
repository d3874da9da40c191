package io.drover.slos;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** One service level objective of a job, with its last evaluation. */
public record Slo(UUID id, UUID projectId, UUID jobId, String job, String name, String metric, double target,
        int windowDays, String status, Double currentValue, double budgetRemaining, double burnRate1h,
        double burnRate6h, Instant evaluatedAt, Instant createdAt) {
    public static final String SUCCESS_RATE = "success_rate";
    public static final String P95 = "duration_p95_ms";
    public static final String P99 = "duration_p99_ms";
    public static final Set<String> METRICS = Set.of(SUCCESS_RATE, P95, P99);
    public static final String OK = "ok";
    public static final String WARNING = "warning";
    public static final String BREACHED = "breached";

    /** The columns {@link #read} takes, from {@code slos s JOIN jobs j}. */
    static final String COLUMNS = "s.id, s.project_id, s.job_id, j.slug, s.name, s.metric, s.target, s.window_days, "
            + "s.status, s.current_value, s.budget_remaining, s.burn_rate_1h, s.burn_rate_6h, s.evaluated_at, "
            + "s.created_at";

    static Slo read(ResultSet rs) throws SQLException {
        return new Slo(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getObject(3, UUID.class),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getDouble(7), rs.getInt(8), rs.getString(9),
                (Double) rs.getObject(10), rs.getDouble(11), rs.getDouble(12), rs.getDouble(13),
                instant(rs.getTimestamp(14)), instant(rs.getTimestamp(15)));
    }

    /** The same objective after an evaluation. */
    Slo with(SloMath.Result r, Instant at) {
        return new Slo(id, projectId, jobId, job, name, metric, target, windowDays, r.status(), r.currentValue(),
                r.budgetRemaining(), r.burnRate1h(), r.burnRate6h(), at, createdAt);
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("job_id", jobId.toString());
        n.put("job", job);
        n.put("name", name);
        n.put("metric", metric);
        n.put("target", target);
        n.put("window_days", windowDays);
        n.put("status", status);
        n.put("current_value", round(currentValue));
        n.put("budget_remaining", round(budgetRemaining));
        n.put("burn_rate_1h", round(burnRate1h));
        n.put("burn_rate_6h", round(burnRate6h));
        n.put("evaluated_at", evaluatedAt == null ? null : evaluatedAt.toString());
        n.put("created_at", createdAt == null ? null : createdAt.toString());
        return n;
    }

    /** Six decimals: what the numbers mean survives, the noise of weighted hours does not. */
    static Double round(Double v) {
        return v == null ? null : Math.round(v * 1e6) / 1e6;
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
