package io.drover.schedules;

import io.drover.jobs.Job;
import io.drover.jobs.JobListener;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** Keeps a job's schedule row in step with the job, in the job's own transaction. */
public final class ScheduleSync implements JobListener {
    @Override
    public void saved(Connection c, Job job, Instant now) throws SQLException {
        ScheduleStore.sync(c, job, now);
    }

    @Override
    public void deleted(Connection c, UUID jobId) throws SQLException {
        ScheduleStore.remove(c, jobId);
    }
}
