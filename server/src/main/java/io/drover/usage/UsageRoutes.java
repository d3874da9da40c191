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

    public UsageRoutes(Db db, UsageStore usage, Pricing pricing, Budgets budgets, InstantSource clock) {
        this.db = db;
        this.usage = usage;
        this.pricing = pricing;
        this.budgets = budgets;
        this.clock = clock;
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
                        + "monthly_microusd, action: reject|block|notify}", this::putBudget));
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
        ObjectNode out = b.get().toJson();
        var now = clock.instant();
        var spent = db.read(conn -> budgets.spend(conn, projectId, b.get(), now));
        out.put("daily_spent_microusd", spent.get("day"));
        out.put("monthly_spent_microusd", spent.get("month"));
        out.put("daily_resets_at", Budget.day(b.get().zone(), now).end().toString());
        out.put("monthly_resets_at", Budget.month(b.get().zone(), now).end().toString());
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
}
