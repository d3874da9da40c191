package io.drover.usage;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;
import static io.drover.http.Route.put;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.store.Db;
import io.drover.store.SqlTime;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Usage records of runs, the project's prices and its budget (API.md "Usage, cost, budgets, metrics, SLOs"). */
public final class UsageRoutes {
    private static final Pattern WORKER_ID = Pattern.compile("[\\x21-\\x7e]{1,200}");
    /** Provider and model names: what vendors use (letters, digits, . _ - : / @), lowercased. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._:/@-]{0,199}");
    /** A trillion tokens in one record is far past any request; the bound keeps the arithmetic exact. */
    static final long MAX_TOKENS = 1_000_000_000_000L;
    /** A thousand million dollars, in micro-USD. */
    static final long MAX_MICROUSD = 1_000_000_000_000_000L;

    private final Db db;
    private final UsageStore usage;
    private final Pricing pricing;
    private final Budgets budgets;
    private final InstantSource clock;
    private final io.drover.jobs.JobStore jobs;
    private final UsageReader reader;

    public UsageRoutes(Db db, UsageStore usage, Pricing pricing, Budgets budgets, io.drover.jobs.JobStore jobs,
            InstantSource clock) {
        this.jobs = jobs;
        this.db = db;
        this.usage = usage;
        this.pricing = pricing;
        this.budgets = budgets;
        this.clock = clock;
        this.reader = new UsageReader(db, budgets, clock);
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/runs/{id}/usage", Role.OPERATOR,
                        "Record a run's AI usage {worker_id, provider, model, input_tokens, output_tokens, "
                                + "cached_input_tokens, cost_microusd}", this::record),
                get("/v1/runs/{id}/usage", Role.VIEWER, "A run's usage records, oldest first", this::list),
                get("/v1/pricing", Role.VIEWER, "The project's prices and the shipped catalog", this::getPricing),
                put("/v1/pricing", Role.ADMIN, "Set project prices {entries: [{provider, model, "
                        + "input_microusd_per_mtok, output_microusd_per_mtok, cached_input_microusd_per_mtok, "
                        + "effective_from}]}", this::putPricing),
                get("/v1/budgets", Role.VIEWER, "The project's budget and this window's spend", this::getBudget),
                put("/v1/budgets", Role.ADMIN, "Set the project's budget {per_run_microusd, daily_microusd, "
                        + "monthly_microusd, action: reject|block|notify}", this::putBudget),
                get("/v1/usage", Role.VIEWER, "Usage and cost from the hourly rollups "
                        + "(group_by=hour|day|job|model|provider, since, until)", this::usageReport),
                get("/v1/jobs/{job}/metrics", Role.VIEWER, "A job's runs, outcomes, duration percentiles and cost "
                        + "per hour or day (bucket=hour|day, since, until)", this::jobMetrics));
    }

    private Reply record(Call c) {
        UUID runId = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "provider", "model", "input_tokens", "output_tokens", "cached_input_tokens",
                "cost_microusd"));
        String worker = in.string("worker_id", null, 200);
        if (worker != null && !WORKER_ID.matcher(worker).matches()) {
            throw ApiError.invalid("worker_id", "must be 1..200 printable ASCII characters without spaces");
        }
        String provider = name(in, "provider");
        String model = name(in, "model");
        long input = in.longValue("input_tokens", 0L, 0, MAX_TOKENS);
        long output = in.longValue("output_tokens", 0L, 0, MAX_TOKENS);
        long cached = in.longValue("cached_input_tokens", 0L, 0, MAX_TOKENS);
        Long cost = in.longValue("cost_microusd", null, 0, MAX_MICROUSD);
        UsageStore.Recorded r = usage.record(c.projectId(), runId,
                new UsageStore.Report(worker, provider, model, input, output, cached, cost));
        return Reply.created(Json.object().put("id", r.id().toString()).put("cost_microusd", r.costMicrousd())
                .put("run_cost_microusd", r.runCostMicrousd()).put("run_canceled", r.canceled()));
    }

    private static String name(Input in, String field) {
        String s = in.requiredNonBlank(field, 200).toLowerCase(Locale.ROOT);
        if (!NAME.matcher(s).matches()) {
            throw ApiError.invalid(field, "must be 1..200 characters: letters, digits and . _ : / @ -");
        }
        return s;
    }

    private Reply list(Call c) {
        UUID runId = c.pathUuid("id", "run");
        int limit = c.query("limit") == null ? Page.MAX_LIMIT : Page.limit(c.query("limit"));
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        usage.list(c.projectId(), runId, limit).forEach(arr::add);
        return Reply.ok(out);
    }

    private Reply getPricing(Call c) {
        ObjectNode out = Json.object();
        var arr = out.putArray("entries");
        pricing.overrides(db, c.projectId()).forEach(arr::add);
        out.set("catalog", pricing.catalogJson());
        return Reply.ok(out);
    }

    private Reply putPricing(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("entries"));
        JsonNode entries = in.get("entries");
        if (entries == null) {
            throw ApiError.invalid("entries", "is required");
        }
        if (!entries.isArray()) {
            throw ApiError.wrongType("entries", "an array of objects");
        }
        if (entries.size() > 500) {
            throw ApiError.invalid("entries", "at most 500 items");
        }
        List<Price> prices = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode e = entries.get(i);
            String at = "entries[" + i + "]";
            if (!e.isObject()) {
                throw ApiError.wrongType(at, "an object");
            }
            Input ein = Input.of(e, at);
            ein.allowOnly(Set.of("provider", "model", "input_microusd_per_mtok", "output_microusd_per_mtok",
                    "cached_input_microusd_per_mtok", "effective_from"));
            String provider = name(ein, "provider");
            String model = name(ein, "model");
            long inPrice = required(ein, "input_microusd_per_mtok");
            long outPrice = required(ein, "output_microusd_per_mtok");
            long cachedPrice = ein.longValue("cached_input_microusd_per_mtok", inPrice, 0, MAX_MICROUSD);
            var from = ein.instant("effective_from");
            if (from == null) {
                throw ApiError.invalid(ein.name("effective_from"), "is required");
            }
            prices.add(new Price(provider, model, inPrice, outPrice, cachedPrice, from, "project"));
        }
        pricing.put(db, c.projectId(), prices, SqlTime.now(clock));
        return getPricing(c);
    }

    private static long required(Input in, String field) {
        Long v = in.longValue(field, null, 0, MAX_MICROUSD);
        if (v == null) {
            throw ApiError.invalid(in.name(field), "is required");
        }
        return v;
    }

    private Reply getBudget(Call c) {
        return Reply.ok(budgetJson(c.projectId(), budgets.get(c.projectId())));
    }

    private ObjectNode budgetJson(UUID projectId, Optional<Budget> b) {
        if (b.isEmpty()) {
            return Json.object().putNull("per_run_microusd").putNull("daily_microusd").putNull("monthly_microusd")
                    .putNull("action").put("time_zone", (String) null);
        }
        UsageReader.BudgetState state = reader.state(projectId, b.get());
        ObjectNode out = b.get().toJson();
        out.put("daily_spent_microusd", state.dailySpent());
        out.put("monthly_spent_microusd", state.monthlySpent());
        out.put("daily_resets_at", state.dailyResetsAt().toString());
        out.put("monthly_resets_at", state.monthlyResetsAt().toString());
        return out;
    }

    private Reply putBudget(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("per_run_microusd", "daily_microusd", "monthly_microusd", "action"));
        Long perRun = in.longValue("per_run_microusd", null, 0, MAX_MICROUSD);
        Long daily = in.longValue("daily_microusd", null, 0, MAX_MICROUSD);
        Long monthly = in.longValue("monthly_microusd", null, 0, MAX_MICROUSD);
        String action = in.oneOf("action", null, Set.of(Budget.REJECT, Budget.BLOCK, Budget.NOTIFY));
        boolean any = perRun != null || daily != null || monthly != null;
        if (any && action == null) {
            throw ApiError.invalid("action", "is required: reject, block or notify");
        }
        return Reply.ok(budgetJson(c.projectId(), budgets.put(c.projectId(), perRun, daily, monthly, action)));
    }

    /** The longest range a report reads: about 13 months of hourly rows. */
    static final java.time.Duration MAX_RANGE = java.time.Duration.ofDays(400);

    private record Range(java.time.Instant since, java.time.Instant until) {}

    private Range range(Call c, java.time.Duration dflt) {
        java.time.Instant until = time(c, "until");
        java.time.Instant since = time(c, "since");
        if (until == null) {
            until = clock.instant();
        }
        if (since == null) {
            since = until.minus(dflt);
        }
        since = since.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        if (!since.isBefore(until)) {
            throw new ApiError(400, "invalid_parameter", "since must be before until",
                    java.util.Map.of("parameter", "since"));
        }
        if (java.time.Duration.between(since, until).compareTo(MAX_RANGE) > 0) {
            throw new ApiError(400, "invalid_parameter", "the range may span at most 400 days",
                    java.util.Map.of("parameter", "since"));
        }
        return new Range(since, until);
    }

    private static java.time.Instant time(Call c, String name) {
        String v = c.query(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        java.time.Instant t = v.length() > 64 ? null : Input.parseTime(v);
        if (t == null || t.isBefore(Input.MIN_TIME) || t.isAfter(Input.MAX_TIME)) {
            throw new ApiError(400, "invalid_parameter", name + " must be an RFC 3339 time such as "
                    + "2026-01-31T12:00:00Z", java.util.Map.of("parameter", name));
        }
        return t;
    }

    private static String choice(Call c, String name, String dflt, Set<String> allowed) {
        String v = c.query(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        if (!allowed.contains(v)) {
            throw new ApiError(400, "invalid_parameter", name + " must be one of " + new java.util.TreeSet<>(allowed),
                    java.util.Map.of("parameter", name));
        }
        return v;
    }

    private java.time.ZoneId zone(java.sql.Connection conn, UUID projectId) throws java.sql.SQLException {
        return UsageReader.zone(conn, projectId);
    }

    private Reply usageReport(Call c) {
        String groupBy = choice(c, "group_by", "day", Set.of("hour", "day", "job", "model", "provider"));
        Range r = range(c, java.time.Duration.ofDays(30));
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        for (UsageReader.Row row : reader.grouped(c.projectId(), groupBy, r.since(), r.until())) {
            ObjectNode n = arr.addObject();
            n.put("bucket", row.bucket().toString());
            n.put("key", row.key());
            n.put("runs", row.runs());
            n.put("input_tokens", row.inputTokens());
            n.put("output_tokens", row.outputTokens());
            n.put("cached_input_tokens", row.cachedInputTokens());
            n.put("cost_microusd", row.costMicrousd());
            n.put("records", row.records());
            if ("job".equals(groupBy)) {
                n.put("job_slug", row.jobSlug());
            }
        }
        out.put("group_by", groupBy);
        out.put("since", r.since().toString());
        out.put("until", r.until().toString());
        return Reply.ok(out);
    }

    private Reply jobMetrics(Call c) {
        io.drover.jobs.Job job = jobs.get(c.projectId(), c.path("job"));
        String bucket = choice(c, "bucket", "hour", Set.of("hour", "day"));
        Range r = range(c, java.time.Duration.ofDays(1));
        record Acc(long[] runs, long[] buckets, long[] cost) {}
        java.util.TreeMap<java.time.Instant, Acc> acc = new java.util.TreeMap<>();
        db.read(conn -> {
            java.time.ZoneId zone = zone(conn, c.projectId());
            java.util.function.Function<java.time.Instant, java.time.Instant> key = "hour".equals(bucket) ? h -> h
                    : h -> h.atZone(zone).toLocalDate().atStartOfDay(zone).toInstant();
            for (RunRollups.Hour h : RunRollups.hours(conn, c.projectId(), job.id(), r.since(), r.until())) {
                Acc a = acc.computeIfAbsent(key.apply(h.hour()),
                        k -> new Acc(new long[3], new long[Histogram.BUCKETS], new long[1]));
                a.runs()[0] += h.runs();
                a.runs()[1] += h.completed();
                a.runs()[2] += h.failed();
                for (int i = 0; i < Histogram.BUCKETS; i++) {
                    a.buckets()[i] += h.buckets()[i];
                }
            }
            try (var q = Pricing.SQL.prepare(conn, "job_cost_hourly")) {
                q.set("project_id", c.projectId()).set("job_id", job.id())
                        .set("since", java.sql.Timestamp.from(r.since())).set("until", java.sql.Timestamp.from(r.until()));
                try (var rs = q.query()) {
                    while (rs.next()) {
                        Acc a = acc.computeIfAbsent(key.apply(rs.getTimestamp(1).toInstant()),
                                k -> new Acc(new long[3], new long[Histogram.BUCKETS], new long[1]));
                        a.cost()[0] += rs.getLong(2);
                    }
                }
            }
            return null;
        });
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        acc.forEach((start, a) -> {
            ObjectNode n = arr.addObject();
            n.put("bucket_start", start.toString());
            n.put("runs", a.runs()[0]);
            n.put("completed", a.runs()[1]);
            n.put("failed", a.runs()[2]);
            n.put("p50_ms", round(Histogram.quantile(a.buckets(), 0.50)));
            n.put("p95_ms", round(Histogram.quantile(a.buckets(), 0.95)));
            n.put("p99_ms", round(Histogram.quantile(a.buckets(), 0.99)));
            n.put("cost_microusd", a.cost()[0]);
        });
        out.put("job_id", job.id().toString());
        out.put("bucket", bucket);
        out.put("percentile_error", Histogram.ALPHA);
        return Reply.ok(out);
    }

    private static Double round(Double v) {
        return v == null ? null : Math.round(v * 10) / 10.0;
    }
}
