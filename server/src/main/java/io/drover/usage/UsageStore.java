package io.drover.usage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.eventlog.EventWrites;
import io.drover.http.Json;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Usage records. One transaction per record, in this order: the run's total grows (its row locked),
 * the record is written with the price it was computed with, a run over its per-run budget is
 * canceled, and last the project's day and month spend counters grow (their rows are the one lock
 * every record of a project with a budget shares, so it is taken last and held shortest).
 */
public final class UsageStore {
    /** budget.exceeded: a per-run, daily or monthly limit was reached (once per run or window). */
    public static final String BUDGET_EXCEEDED = "budget.exceeded";

    private final Db db;
    private final RunStore runs;
    private final Pricing pricing;
    private final InstantSource clock;

    public UsageStore(Db db, RunStore runs, Pricing pricing, InstantSource clock) {
        this.db = db;
        this.runs = runs;
        this.pricing = pricing;
        this.clock = clock;
    }

    /** What a caller reports: tokens, and the cost when the caller knows it (null: priced here). */
    public record Report(String workerId, String provider, String model, long inputTokens, long outputTokens,
            long cachedInputTokens, Long costMicrousd) {}

    /** The record made: its id, its cost, the run's total, and whether the run was canceled for it. */
    public record Recorded(UUID id, long costMicrousd, long runCostMicrousd, boolean canceled, String jobSlug) {}

    private volatile UsageMetrics metrics;

    /** Prometheus counters, added to after each usage commit (wiring). */
    public void setMetrics(UsageMetrics metrics) {
        this.metrics = metrics;
    }

    /** The statements of sql/usage.sql (the retention pass runs delete_usage and delete_windows). */
    public static io.drover.store.Sql sql() {
        return Pricing.SQL;
    }

    public Recorded record(UUID projectId, UUID runId, Report r) {
        Recorded done = db.tx(c -> recordIn(c, projectId, runId, r));
        UsageMetrics m = metrics;
        if (m != null) {
            m.record(done.jobSlug(), r.provider(), r.model(), done.costMicrousd(), r.inputTokens(), r.outputTokens(),
                    r.cachedInputTokens());
        }
        return done;
    }

    Recorded recordIn(Connection c, UUID projectId, UUID runId, Report r) throws SQLException {
        Timestamp now = SqlTime.now(clock);
        Optional<Price> price = r.costMicrousd() != null ? Optional.empty()
                : pricing.find(c, projectId, r.provider(), r.model(), now == null ? Timestamp.from(clock.instant()) : now);
        long cost = r.costMicrousd() != null ? r.costMicrousd()
                : price.map(p -> p.cost(r.inputTokens(), r.outputTokens(), r.cachedInputTokens())).orElse(0L);
        String source = r.costMicrousd() != null ? "given" : price.map(Price::source).orElse("unpriced");

        long runCost;
        RunStatus status;
        UUID jobId;
        int attempt;
        boolean first;
        String jobSlug;
        try (Query q = Pricing.SQL.prepare(c, "add_run_cost")) {
            q.set("cost", cost).set("run_id", runId).set("project_id", projectId);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("run", runId.toString());
                }
                runCost = rs.getLong(1);
                status = RunStatus.fromDb(rs.getString(2));
                String holder = rs.getString(3);
                jobId = rs.getObject(4, UUID.class);
                attempt = rs.getInt(5);
                first = rs.getBoolean(6);
                jobSlug = rs.getString(7);
                if (r.workerId() != null && (!r.workerId().equals(holder)
                        || (status != RunStatus.EXECUTING && status != RunStatus.WAITING))) {
                    throw new Conflict("not_held", "run is " + status.db() + "; this worker does not hold it",
                            Map.of("status", status.db()));
                }
            }
        }
        UUID id = UuidV7.next();
        try (Query q = Pricing.SQL.prepare(c, "insert_usage")) {
            q.set("id", id).set("project_id", projectId).set("run_id", runId).set("job_id", jobId)
                    .set("worker_id", r.workerId()).set("provider", r.provider()).set("model", r.model())
                    .set("input_tokens", r.inputTokens()).set("output_tokens", r.outputTokens())
                    .set("cached_input_tokens", r.cachedInputTokens()).set("cost", cost).set("price_source", source)
                    .set("input_price", price.map(Price::inputPerMtok).orElse(null))
                    .set("output_price", price.map(Price::outputPerMtok).orElse(null))
                    .set("cached_price", price.map(Price::cachedInputPerMtok).orElse(null)).set("now", now).update();
        }
        try (Query q = Pricing.SQL.prepare(c, "add_usage_hourly")) {
            q.set("project_id", projectId).set("now", now).set("job_id", jobId).set("provider", r.provider())
                    .set("model", r.model()).set("runs", first ? 1 : 0).set("input_tokens", r.inputTokens())
                    .set("output_tokens", r.outputTokens()).set("cached_input_tokens", r.cachedInputTokens())
                    .set("cost", cost).update();
        }
        if ("unpriced".equals(source)) {
            try (Query q = Pricing.SQL.prepare(c, "unpriced_event")) {
                q.set("project_id", projectId).set("run_id", runId).set("status", status.db()).set("attempt", attempt)
                        .set("message", "no price for " + r.provider() + "/" + r.model() + "; tokens recorded at cost 0")
                        .set("data", Json.object().put("provider", r.provider()).put("model", r.model())
                                .put("usage_id", id.toString()).toString())
                        .update();
            }
        }
        boolean canceled = false;
        Optional<Budget> budget = Budgets.find(c, projectId);
        if (budget.isPresent()) {
            Budget b = budget.get();
            if (b.perRunMicrousd() != null && runCost > b.perRunMicrousd() && runCost - cost <= b.perRunMicrousd()) {
                if (status.canMoveTo(RunStatus.CANCELED)) {
                    runs.cancelIn(c, projectId, runId, "per-run budget of " + b.perRunMicrousd()
                            + " micro-USD passed (the run has cost " + runCost + ")");
                    canceled = true;
                }
                EventWrites.insert(c, projectId, BUDGET_EXCEEDED, runId, Json.object().put("scope", "run")
                        .put("run_id", runId.toString()).put("limit_microusd", b.perRunMicrousd())
                        .put("spent_microusd", runCost).put("action", "cancel").put("canceled", canceled), now);
            }
            if (cost > 0) {
                Instant at = clock.instant();
                if (b.dailyMicrousd() != null) {
                    count(c, projectId, Budget.day(b.zone(), at), cost, b.dailyMicrousd(), b, now);
                }
                if (b.monthlyMicrousd() != null) {
                    count(c, projectId, Budget.month(b.zone(), at), cost, b.monthlyMicrousd(), b, now);
                }
            }
        }
        return new Recorded(id, cost, runCost, canceled, jobSlug);
    }

    /** Adds to one window's counter; the first record that reaches its limit emits budget.exceeded. */
    private static void count(Connection c, UUID projectId, Budget.Window w, long cost, long limit, Budget b,
            Timestamp now) throws SQLException {
        long spent;
        boolean notified;
        try (Query q = Pricing.SQL.prepare(c, "add_spend")) {
            q.set("project_id", projectId).set("period", w.period()).set("window_start", Date.valueOf(w.start()))
                    .set("window_end", Timestamp.from(w.end())).set("cost", cost);
            try (ResultSet rs = q.query()) {
                rs.next();
                spent = rs.getLong(1);
                notified = rs.getBoolean(2);
            }
        }
        if (spent < limit || notified) {
            return;
        }
        try (Query q = Pricing.SQL.prepare(c, "mark_notified")) {
            q.set("now", now).set("project_id", projectId).set("period", w.period())
                    .set("window_start", Date.valueOf(w.start()));
            if (q.update() == 0) {
                return;
            }
        }
        EventWrites.insert(c, projectId, BUDGET_EXCEEDED, null, Json.object()
                .put("scope", "day".equals(w.period()) ? "daily" : "monthly").put("window_start", w.start().toString())
                .put("window_end", w.end().toString()).put("time_zone", b.zone().getId())
                .put("limit_microusd", limit).put("spent_microusd", spent).put("action", b.action()), now);
    }

    /** A run's usage records, oldest first (at most {@code limit}). */
    public List<ObjectNode> list(UUID projectId, UUID runId, int limit) {
        runs.get(projectId, runId); // 404 for an unknown run
        return db.read(c -> {
            List<ObjectNode> out = new ArrayList<>();
            try (Query q = Pricing.SQL.prepare(c, "run_usage")) {
                q.set("run_id", runId).set("project_id", projectId).set("limit", limit);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        ObjectNode n = Json.object();
                        n.put("id", rs.getObject(1, UUID.class).toString());
                        n.put("run_id", runId.toString());
                        n.put("worker_id", rs.getString(2));
                        n.put("provider", rs.getString(3));
                        n.put("model", rs.getString(4));
                        n.put("input_tokens", rs.getLong(5));
                        n.put("output_tokens", rs.getLong(6));
                        n.put("cached_input_tokens", rs.getLong(7));
                        n.put("cost_microusd", rs.getLong(8));
                        n.put("price_source", rs.getString(9));
                        n.put("input_microusd_per_mtok", (Long) rs.getObject(10));
                        n.put("output_microusd_per_mtok", (Long) rs.getObject(11));
                        n.put("cached_input_microusd_per_mtok", (Long) rs.getObject(12));
                        n.put("recorded_at", rs.getTimestamp(13).toInstant().toString());
                        out.add(n);
                    }
                }
            }
            return out;
        });
    }
}
