package io.drover.ui;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Page;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.jobs.ScheduleSpec;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/** The jobs list (keyset pages, as GET /v1/jobs) and a job's page: definition, versions, next fire times. */
public final class JobPages {
    static final int NEXT_FIRES = 5;
    private final JobStore jobs;
    private final InstantSource clock;

    public JobPages(JobStore jobs, InstantSource clock) {
        this.jobs = jobs;
        this.clock = clock;
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/jobs", "Jobs", c -> {
                    Page<Job> page = jobs.list(c.projectId(), Page.decode(c.query("cursor")), RunPages.PAGE);
                    return View.page("jobs.jte", new JobList(page.data(), page.nextCursor()));
                }),
                UiRoute.get("/ui/jobs/{job}", io.drover.access.Role.VIEWER, c -> {
                    Job job = jobs.get(c.projectId(), c.path("job"));
                    List<Job> versions = jobs.versions(c.projectId(), job.id().toString(), job.version(), 20);
                    return View.page("job.jte", new JobDetail(job, shown(job), versions, nextFires(job)));
                }));
    }

    public record JobList(List<Job> jobs, String nextCursor) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Jobs";
        }
    }

    public record JobDetail(Job job, ObjectNode definition, List<Job> versions, List<Instant> nextFires)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Job " + job.spec().slug();
        }
    }

    /** The definition as the API gives it, with header values hidden (an Authorization header is a secret). */
    public static ObjectNode shownOf(Job job) {
        return shown(job);
    }

    static ObjectNode shown(Job job) {
        ObjectNode n = job.toJson();
        if (n.get("headers") instanceof ObjectNode headers) {
            List<String> names = new ArrayList<>();
            headers.fieldNames().forEachRemaining(names::add);
            names.forEach(name -> headers.put(name, "(hidden)"));
        }
        return n;
    }

    List<Instant> nextFires(Job job) {
        ScheduleSpec s = job.spec().schedule();
        List<Instant> out = new ArrayList<>();
        if (s == null) {
            return out;
        }
        Instant t = clock.instant();
        for (int i = 0; i < NEXT_FIRES; i++) {
            t = s.nextAfter(t);
            if (t == null) {
                break;
            }
            out.add(t);
        }
        return out;
    }
}
