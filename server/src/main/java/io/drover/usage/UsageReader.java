package io.drover.usage;

import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The reads behind {@code GET /v1/usage} and {@code GET /v1/budgets}, shared by the API and the
 * dashboard's usage page: usage and cost from the hourly rollup grouped by hour, local day, job,
 * model or provider, and the project's budget with the current windows' spend.
 */
public final class UsageReader {
    private final Db db;
    private final Budgets budgets;
    private final InstantSource clock;

    public UsageReader(Db db, Budgets budgets, InstantSource clock) {
        this.db = db;
        this.budgets = budgets;
        this.clock = clock;
    }

    /** One group of the report: its bucket's start, its key (job id, model, provider; null by time) and sums. */
    public record Row(Instant bucket, String key, long runs, long inputTokens, long outputTokens,
            long cachedInputTokens, long costMicrousd, long records, String jobSlug) {}

    /** Usage in [since, until) by {@code groupBy}: hour, day (the project's time zone), job, model, provider. */
    public List<Row> grouped(UUID projectId, String groupBy, Instant since, Instant until) {
        return db.read(conn -> {
            ZoneId zone = zone(conn, projectId);
            List<Row> out = new ArrayList<>();
            try (var q = Pricing.SQL.prepare(conn, "usage_grouped")) {
                q.set("group_by", groupBy).set("tz", zone.getId()).set("since", Timestamp.from(since))
                        .set("until", Timestamp.from(until)).set("project_id", projectId);
                try (var rs = q.query()) {
                    while (rs.next()) {
                        out.add(new Row(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getLong(3),
                                rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8),
                                "job".equals(groupBy) ? rs.getString(9) : null));
                    }
                }
            }
            return out;
        });
    }

    /** The project's time zone (settings), in which days and budget windows are counted. */
    public ZoneId zone(UUID projectId) {
        return db.read(conn -> zone(conn, projectId));
    }

    static ZoneId zone(Connection conn, UUID projectId) throws SQLException {
        try (var q = Pricing.SQL.prepare(conn, "project_zone")) {
            q.set("project_id", projectId);
            try (var rs = q.query()) {
                return Budgets.zone(rs.next() ? rs.getString(1) : null);
            }
        }
    }

    /** The budget with this day's and this month's spend and when each window turns. */
    public record BudgetState(Budget budget, long dailySpent, long monthlySpent, Instant dailyResetsAt,
            Instant monthlyResetsAt) {}

    /** The project's budget and its current windows' spend, or empty when it has none. */
    public Optional<BudgetState> budget(UUID projectId) {
        Optional<Budget> b = budgets.get(projectId);
        return b.map(budget -> state(projectId, budget));
    }

    BudgetState state(UUID projectId, Budget b) {
        Instant now = clock.instant();
        Map<String, Long> spent = db.read(conn -> budgets.spend(conn, projectId, b, now));
        return new BudgetState(b, spent.get("day"), spent.get("month"), Budget.day(b.zone(), now).end(),
                Budget.month(b.zone(), now).end());
    }
}
