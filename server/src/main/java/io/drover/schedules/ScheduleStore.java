package io.drover.schedules;

import io.drover.jobs.Job;
import io.drover.jobs.ScheduleSpec;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * Keeps the {@code schedules} row of a job in step with its spec. The next fire time is kept
 * when the timing did not change (a PATCH of the overlap policy does not skip or repeat a tick).
 */
public final class ScheduleStore {
    private ScheduleStore() {}

    public static void sync(Connection c, Job job, Instant now) throws SQLException {
        ScheduleSpec s = job.spec().schedule();
        if (s == null) {
            remove(c, job.id());
            return;
        }
        Instant first = s.first(now);

        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO schedules (id, project_id, job_id, kind, expression, interval_secs, at, timezone,
                                       overlap_policy, next_fire_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET
                    next_fire_at = CASE
                        WHEN (schedules.kind, schedules.expression, schedules.interval_secs, schedules.at, schedules.timezone)
                             IS NOT DISTINCT FROM (EXCLUDED.kind, EXCLUDED.expression, EXCLUDED.interval_secs,
                                                   EXCLUDED.at, EXCLUDED.timezone)
                        THEN schedules.next_fire_at ELSE EXCLUDED.next_fire_at END,
                    kind = EXCLUDED.kind, expression = EXCLUDED.expression, interval_secs = EXCLUDED.interval_secs,
                    at = EXCLUDED.at, timezone = EXCLUDED.timezone, overlap_policy = EXCLUDED.overlap_policy,
                    enabled = true, updated_at = now()""")) {
            ps.setObject(1, UuidV7.next());
            ps.setObject(2, job.projectId());
            ps.setObject(3, job.id());
            ps.setString(4, s.kind());
            ps.setString(5, s.cron());
            ps.setObject(6, s.intervalSecs());
            ps.setTimestamp(7, s.at() == null ? null : Timestamp.from(s.at()));
            ps.setString(8, s.timezone());
            ps.setString(9, s.overlapPolicy());
            ps.setTimestamp(10, first == null ? null : Timestamp.from(first));
            ps.executeUpdate();
        }
    }

    public static void remove(Connection c, java.util.UUID jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM schedules WHERE job_id = ?")) {
            ps.setObject(1, jobId);
            ps.executeUpdate();
        }
    }
}
