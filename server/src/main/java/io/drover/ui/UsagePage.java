package io.drover.ui;

import io.drover.usage.UsageReader;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * AI usage and cost of the last 30 days by day (the project's time zone), by job and by model, from
 * the same hourly rollup as {@code GET /v1/usage} ({@link UsageReader}), and the project's budget
 * with this day's and this month's spend (as {@code GET /v1/budgets}).
 */
public final class UsagePage {
    static final Duration WINDOW = Duration.ofDays(30);
    private final UsageReader usage;
    private final InstantSource clock;

    public UsagePage(UsageReader usage, InstantSource clock) {
        this.usage = usage;
        this.clock = clock;
    }

    public List<UiRoute> routes() {
        return List.of(UiRoute.page("/ui/usage", "Usage", c -> View.page("usage.jte", report(c))));
    }

    /** One line of a table: its label (a day, a job, a model), a link or null, the sums and a bar. */
    public record Line(String label, String href, long runs, long inputTokens, long outputTokens,
            long cachedInputTokens, long costMicrousd, int pct) {}

    public record Totals(long runs, long inputTokens, long outputTokens, long cachedInputTokens, long costMicrousd) {}

    public record Report(String zone, Instant since, Instant until, List<Line> byDay, List<Line> byJob,
            List<Line> byModel, Totals totals, Optional<UsageReader.BudgetState> budget)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Usage";
        }

        /** Spend of a window as a percentage of its limit (0 without a limit). */
        public int pct(long spent, Long limit) {
            return limit == null ? 0 : Fmt.pct(spent, limit);
        }
    }

    Report report(UiCall c) {
        Instant until = clock.instant();
        Instant since = until.minus(WINDOW).truncatedTo(ChronoUnit.HOURS);
        ZoneId zone = usage.zone(c.projectId());
        List<UsageReader.Row> days = usage.grouped(c.projectId(), "day", since, until);
        List<UsageReader.Row> jobs = byCost(usage.grouped(c.projectId(), "job", since, until));
        List<UsageReader.Row> models = byCost(usage.grouped(c.projectId(), "model", since, until));
        List<Line> byDay = lines(days.reversed(), r -> {
            LocalDate d = r.bucket().atZone(zone).toLocalDate();
            return new String[] {d.toString(), null};
        });
        List<Line> byJob = lines(jobs, r -> r.jobSlug() == null
                ? new String[] {r.key() == null ? "(no job)" : "deleted job " + Fmt.shortId(r.key()), null}
                : new String[] {r.jobSlug(), "/ui/jobs/" + Fmt.q(r.jobSlug())});
        List<Line> byModel = lines(models, r -> new String[] {r.key() == null ? "(none)" : r.key(), null});
        Totals totals = new Totals(days.stream().mapToLong(UsageReader.Row::runs).sum(),
                days.stream().mapToLong(UsageReader.Row::inputTokens).sum(),
                days.stream().mapToLong(UsageReader.Row::outputTokens).sum(),
                days.stream().mapToLong(UsageReader.Row::cachedInputTokens).sum(),
                days.stream().mapToLong(UsageReader.Row::costMicrousd).sum());
        return new Report(zone.getId(), since, until, byDay, byJob, byModel, totals, usage.budget(c.projectId()));
    }

    private static List<UsageReader.Row> byCost(List<UsageReader.Row> rows) {
        return rows.stream().sorted(Comparator.comparingLong(UsageReader.Row::costMicrousd).reversed()
                .thenComparing(r -> r.key() == null ? "" : r.key())).toList();
    }

    private static List<Line> lines(List<UsageReader.Row> rows,
            java.util.function.Function<UsageReader.Row, String[]> label) {
        long max = rows.stream().mapToLong(UsageReader.Row::costMicrousd).max().orElse(0);
        return rows.stream().map(r -> {
            String[] l = label.apply(r);
            return new Line(l[0], l[1], r.runs(), r.inputTokens(), r.outputTokens(), r.cachedInputTokens(),
                    r.costMicrousd(), Fmt.pct(r.costMicrousd(), max));
        }).toList();
    }
}
