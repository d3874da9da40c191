package io.drover.schedules;

import io.drover.jobs.Job;
import io.drover.jobs.ScheduleSpec;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Keeps the {@code schedules} row of a job in step with its spec. The next fire time is kept
 * when the timing did not change (a PATCH of the overlap policy does not skip or repeat a tick).
 */
public final class ScheduleStore {
    static final Sql SQL = Sql.load("/sql/schedules.sql");

    private ScheduleStore() {}

    public static void sync(Connection c, Job job, Instant now) throws SQLException {
        ScheduleSpec s = job.spec().schedule();
        if (s == null) {
            remove(c, job.id());
            return;
        }
        Instant first = s.first(now);

        try (Query q = SQL.prepare(c, "upsert_schedule")) {
            q.set("id", UuidV7.next()).set("project_id", job.projectId()).set("job_id", job.id())
                    .set("kind", s.kind()).set("expression", s.cron()).set("interval_secs", s.intervalSecs())
                    .set("at", s.at()).set("timezone", s.timezone()).set("overlap_policy", s.overlapPolicy())
                    .set("next_fire_at", first).update();
        }
    }

    public static void remove(Connection c, java.util.UUID jobId) throws SQLException {
        try (Query q = SQL.prepare(c, "delete_job_schedule")) {
            q.set("job_id", jobId).update();
        }
    }
}
