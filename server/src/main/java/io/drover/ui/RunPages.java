package io.drover.ui;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.errors.Invalid;
import io.drover.http.Page;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.redact.Outlets;
import io.drover.runs.Run;
import io.drover.runs.RunEvent;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The runs list (filters in the query string, keyset pages over the same read code as
 * {@code GET /v1/runs}) and a run's page (its events, payload and result redacted as the API
 * redacts them, cancel and replay for operators).
 */
public final class RunPages {
    static final int PAGE = 50;
    /** A queue filter is applied to the pages it walks: at most this many runs are looked at per page shown. */
    static final int QUEUE_SCAN = 2_000;
    private final RunStore runs;
    private final JobStore jobs;
    private final Outlets outlets;

    public RunPages(RunStore runs, JobStore jobs, Outlets outlets) {
        this.runs = runs;
        this.jobs = jobs;
        this.outlets = outlets;
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/runs", "Runs", c -> View.page("runs.jte", list(c))),
                UiRoute.get("/ui/runs/rows", Role.VIEWER, c -> View.fragment("runs_rows.jte", list(c))),
                UiRoute.get("/ui/runs/{id}", Role.VIEWER, c -> View.page("run.jte", detail(c))),
                UiRoute.get("/ui/runs/{id}/live", Role.VIEWER, c -> View.fragment("run_body.jte", detail(c))),
                UiRoute.post("/ui/runs/{id}/cancel", Role.OPERATOR, c -> {
                    UUID id = c.pathUuid("id", "run");
                    runs.cancel(c.projectId(), id);
                    return View.redirect("/ui/runs/" + id);
                }),
                UiRoute.post("/ui/runs/{id}/replay", Role.OPERATOR, c -> {
                    UUID id = c.pathUuid("id", "run");
                    Run run = runs.get(c.projectId(), id);
                    Job job = jobs.find(c.projectId(), run.jobId().toString());
                    return View.redirect("/ui/runs/" + runs.replay(c.projectId(), id, job).run().id());
                }));
    }

    /** The filters as given (for the form and the links), and what they matched. */
    public record Filters(String job, String status, String queue, String since, String before) {
        public String query() {
            StringBuilder sb = new StringBuilder();
            add(sb, "job", job);
            add(sb, "status", status);
            add(sb, "queue", queue);
            add(sb, "since", since);
            add(sb, "before", before);
            return sb.toString();
        }

        private static void add(StringBuilder sb, String name, String value) {
            if (value != null) {
                sb.append(sb.isEmpty() ? "" : "&").append(name).append('=').append(Fmt.q(value));
            }
        }
    }

    public record RunList(Filters filters, List<Run> rows, String nextCursor, String problem, List<String> statuses,
            boolean firstPage) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Runs";
        }

        /** The rows fragment's URL with the same filters (the live refresh asks for it). */
        public String rowsUrl() {
            String q = filters.query();
            return "/ui/runs/rows" + (q.isEmpty() ? "" : "?" + q);
        }

        public String nextUrl() {
            String q = filters.query();
            return "/ui/runs?" + (q.isEmpty() ? "" : q + "&") + "cursor=" + nextCursor;
        }
    }

    RunList list(UiCall c) {
        Filters f = new Filters(c.query("job"), c.query("status"), c.query("queue"), c.query("since"), c.query("before"));
        List<String> statuses = java.util.Arrays.stream(RunStatus.values()).map(RunStatus::db).toList();
        if (c.query("cursor") == null) {
            c.live("/v1/stream?types=run.*");
        }
            UUID jobId = null;
            if (f.job() != null) {
                Job job = jobs.find(c.projectId(), f.job());
                if (job == null) {
                    return new RunList(f, List.of(), null, "No job named '" + f.job() + "'.", statuses, true);
                }
                jobId = job.id();
            }
            RunStatus status = null;
            if (f.status() != null) {
                status = RunStatus.parse(f.status());
                if (status == null) {
                    throw new Invalid("status", "must be one of the run states, got '" + cut(f.status()) + "'");
                }
            }
            Instant since = f.since() == null ? null : time("since", f.since());
            Instant before = f.before() == null ? null : time("before", f.before());
            UUID cursor = c.query("cursor") != null ? Page.decode(c.query("cursor"))
                    : before != null ? new UUID(before.toEpochMilli() << 16, 0L) : null;
            List<Run> rows = new ArrayList<>();
            boolean more = false;
            int scanned = 0;
            walk:
            while (true) {
                Page<Run> page = runs.list(c.projectId(), jobId, status, cursor, f.queue() == null ? PAGE : 200);
                List<Run> data = page.data();
                for (int i = 0; i < data.size(); i++) {
                    Run r = data.get(i);
                    if (since != null && r.createdAt().isBefore(since)) {
                        more = false; // newest first: every later run is older still
                        break walk;
                    }
                    scanned++;
                    cursor = r.id();
                    if (f.queue() == null || f.queue().equals(r.queue())) {
                        rows.add(r);
                    }
                    if (rows.size() == PAGE) {
                        more = i < data.size() - 1 || page.nextCursor() != null;
                        break walk;
                    }
                }
                if (page.nextCursor() == null) {
                    more = false;
                    break;
                }
                if (scanned >= QUEUE_SCAN) {
                    more = true; // a rare queue: the next page goes on from here
                    break;
                }
            }
            String next = more ? Page.encode(cursor) : null;
            return new RunList(f, rows, next, null, statuses, c.query("cursor") == null);
    }

    private static Instant time(String field, String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC); // <input type=datetime-local>, as UTC
            } catch (DateTimeParseException e2) {
                throw new Invalid(field, "must be a time such as 2026-01-31T12:00 (UTC) or 2026-01-31T12:00:00Z,"
                        + " got '" + cut(value) + "'");
            }
        }
    }

    private static String cut(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** A run's page: the run (redacted for viewers) and its events (redacted for everyone, as the API does). */
    public record RunDetail(Run run, ObjectNode shown, List<ObjectNode> events, boolean canCancel, boolean canReplay)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Run " + Fmt.shortId(run.id());
        }

        public String field(String name) {
            return Fmt.json(shown.get(name));
        }
    }

    RunDetail detail(UiCall c) {
        UUID id = c.pathUuid("id", "run");
        Run run = runs.get(c.projectId(), id);
        ObjectNode shown = outlets.run(c.principal(), run.toJson());
        List<ObjectNode> events = new ArrayList<>();
        for (RunEvent e : runs.events(c.projectId(), id, 0, Page.MAX_LIMIT)) {
            events.add(outlets.event(c.principal(), e.toJson()));
        }
        boolean operator = c.can(Role.OPERATOR);
        c.live("/v1/stream?types=run.*");
        return new RunDetail(run, shown, events, operator && RunStatus.cancelable().contains(run.status()),
                operator && (run.status() == RunStatus.DEAD_LETTER || run.status().isTerminal()));
    }
}
