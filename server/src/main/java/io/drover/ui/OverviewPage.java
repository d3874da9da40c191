package io.drover.ui;

import io.drover.http.Page;
import io.drover.runs.Run;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The overview: runs by live state, the last 24 hours' outcomes, queue depth, the jobs failing most
 * and the newest dead letters (server-drawn bars, no chart script). Every count is a range of a runs
 * index (sql/ui.sql).
 */
public final class OverviewPage {
    private static final Sql SQL = Sql.load("/sql/ui.sql");
    private final Db db;
    private final RunStore runs;
    private final InstantSource clock;

    public OverviewPage(Db db, RunStore runs, InstantSource clock) {
        this.db = db;
        this.runs = runs;
        this.clock = clock;
    }

    public List<UiRoute> routes() {
        return List.of(UiRoute.page("/ui/", "Overview", c -> {
            c.live("/v1/stream?types=run.*");
            return View.page("overview.jte", overview(c.projectId()));
        }));
    }

    /** One bar: a label, its count, and its width in percent of the largest of its chart. */
    public record Bar(String label, long count, int pct, String href) {}

    public record Overview(List<Bar> live, List<Bar> lastDay, List<Bar> queues, List<Bar> failing,
            List<Run> deadLetters) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Overview";
        }
    }

    Overview overview(UUID projectId) {
        Timestamp since = Timestamp.from(clock.instant().minus(Duration.ofHours(24)));
        Page<Run> dead = runs.list(projectId, null, RunStatus.DEAD_LETTER, null, 10);
        return db.read(c -> {
            List<Bar> live = bars(byState(counts(c, "live_counts", projectId, null)), "/ui/runs?status=");
            List<Bar> lastDay = bars(byState(counts(c, "finished_counts", projectId, since)), "/ui/runs?status=");
            List<Bar> queues = bars(counts(c, "queue_depth", projectId, null), "/ui/runs?status=queued&queue=");
            List<Bar> failing = bars(counts(c, "failing_jobs", projectId, since), "/ui/runs?job=");
            return new Overview(live, lastDay, queues, failing, dead.data());
        });
    }

    private record Count(String label, long count) {}

    private static List<Count> counts(Connection c, String statement, UUID projectId, Timestamp since)
            throws SQLException {
        try (Query q = SQL.prepare(c, statement)) {
            q.set("project_id", projectId);
            if (since != null) {
                q.set("since", since);
            }
            List<Count> out = new ArrayList<>();
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(new Count(rs.getString(1), rs.getLong(2)));
                }
            }
            return out;
        }
    }

    /** In the state machine's order (queued before executing before dead letters), not by count. */
    private static List<Count> byState(List<Count> counts) {
        return counts.stream().sorted(java.util.Comparator.comparingInt(k -> RunStatus.fromDb(k.label()).ordinal()))
                .toList();
    }

    private static List<Bar> bars(List<Count> counts, String hrefPrefix) {
        long max = counts.stream().mapToLong(Count::count).max().orElse(0);
        return counts.stream().map(k -> new Bar(k.label(), k.count(), Fmt.pct(k.count(), max),
                hrefPrefix + Fmt.q(k.label()))).toList();
    }
}
