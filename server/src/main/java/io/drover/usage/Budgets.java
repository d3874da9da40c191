package io.drover.usage;

import io.drover.errors.PaymentRequired;
import io.drover.runs.TriggerGate;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import java.sql.Connection;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Budgets: the project's limits (GET|PUT /v1/budgets) and the trigger gate that enforces the daily
 * and monthly ones. Spend is counted by the usage transaction ({@link UsageStore}) in spend_windows;
 * the gate reads the current windows without a lock: a trigger racing a record that passes the
 * limit may still start its runs, so spend passes a limit by at most what the runs already started
 * (in flight) go on to record.
 */
public final class Budgets implements TriggerGate {
    private final Db db;
    private final InstantSource clock;

    public Budgets(Db db, InstantSource clock) {
        this.db = db;
        this.clock = clock;
    }

    public Optional<Budget> get(UUID projectId) {
        return db.read(c -> find(c, projectId));
    }

    /** Sets (or, with every limit null, removes) the project's budget. */
    public Optional<Budget> put(UUID projectId, Long perRun, Long daily, Long monthly, String action) {
        return db.tx(c -> {
            if (perRun == null && daily == null && monthly == null) {
                try (Query q = Pricing.SQL.prepare(c, "delete_budget")) {
                    q.set("project_id", projectId).update();
                }
                return Optional.<Budget>empty();
            }
            try (Query q = Pricing.SQL.prepare(c, "put_budget")) {
                q.set("project_id", projectId).set("per_run", perRun).set("daily", daily).set("monthly", monthly)
                        .set("action", action).set("now", SqlTime.now(clock)).update();
            }
            return find(c, projectId);
        });
    }

    static Optional<Budget> find(Connection c, UUID projectId) throws SQLException {
        try (Query q = Pricing.SQL.prepare(c, "budget")) {
            q.set("project_id", projectId);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Budget((Long) rs.getObject(1), (Long) rs.getObject(2), (Long) rs.getObject(3),
                        rs.getString(4), zone(rs.getString(5))));
            }
        }
    }

    static ZoneId zone(String id) {
        if (id == null || id.isEmpty()) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneId.of(id);
        } catch (DateTimeException e) {
            return ZoneOffset.UTC; // settings validate it; an unknown id from an older JVM falls back to UTC
        }
    }

    /** The spend of the current day and month windows (absent: nothing spent yet). */
    public Map<String, Long> spend(Connection c, UUID projectId, Budget b, Instant now) throws SQLException {
        Budget.Window day = Budget.day(b.zone(), now);
        Budget.Window month = Budget.month(b.zone(), now);
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("day", 0L);
        out.put("month", 0L);
        try (Query q = Pricing.SQL.prepare(c, "window_spend")) {
            q.set("project_id", projectId).set("day", Date.valueOf(day.start())).set("month", Date.valueOf(month.start()));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /**
     * The trigger gate: with a daily or monthly limit reached, {@code reject} refuses a direct trigger
     * (402 budget_exceeded) and {@code block} (and reject, for schedule ticks and workflow steps) holds
     * the new runs until the latest exceeded window turns; {@code notify} lets them start.
     */
    @Override
    public Instant holdUntil(Connection c, UUID projectId, boolean direct) throws SQLException {
        Optional<Budget> found = find(c, projectId);
        if (found.isEmpty()) {
            return null;
        }
        Budget b = found.get();
        if (Budget.NOTIFY.equals(b.action()) || (b.dailyMicrousd() == null && b.monthlyMicrousd() == null)) {
            return null;
        }
        Instant now = clock.instant();
        Map<String, Long> spent = spend(c, projectId, b, now);
        Instant until = null;
        String which = null;
        if (b.dailyMicrousd() != null && spent.get("day") >= b.dailyMicrousd()) {
            until = Budget.day(b.zone(), now).end();
            which = "daily";
        }
        if (b.monthlyMicrousd() != null && spent.get("month") >= b.monthlyMicrousd()) {
            until = Budget.month(b.zone(), now).end();
            which = "monthly";
        }
        if (until == null) {
            return null;
        }
        if (Budget.REJECT.equals(b.action()) && direct) {
            long limit = "daily".equals(which) ? b.dailyMicrousd() : b.monthlyMicrousd();
            throw new PaymentRequired("budget_exceeded", "the project's " + which + " budget of " + limit
                    + " micro-USD is spent; new runs are refused until " + until,
                    Map.of("window", which, "limit_microusd", limit,
                            "spent_microusd", "daily".equals(which) ? spent.get("day") : spent.get("month"),
                            "resets_at", until.toString()));
        }
        return until;
    }

    static Timestamp ts(Instant t) {
        return Timestamp.from(t);
    }
}
