package io.drover.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * What happens to a job's dependants when it changes, inside the transaction that changes it (a
 * failure rolls the change back). Owned by jobs so that jobs need not know who listens: the
 * schedules capability implements it ({@code io.drover.schedules.ScheduleSync}) and
 * {@code DroverServer} wires it, which keeps the arrow schedules -> jobs one way.
 */
public interface JobListener {
    JobListener NONE = new JobListener() {
        @Override
        public void saved(Connection c, Job job, Instant now) {}

        @Override
        public void deleted(Connection c, UUID jobId) {}
    };

    /** A job was created, or changed into a new version, at {@code now}. */
    void saved(Connection c, Job job, Instant now) throws SQLException;

    /** A job was (soft) deleted. */
    void deleted(Connection c, UUID jobId) throws SQLException;

    /** This listener, then {@code next}, in the same transaction. */
    default JobListener then(JobListener next) {
        JobListener first = this;
        return new JobListener() {
            @Override
            public void saved(Connection c, Job job, Instant now) throws SQLException {
                first.saved(c, job, now);
                next.saved(c, job, now);
            }

            @Override
            public void deleted(Connection c, UUID jobId) throws SQLException {
                first.deleted(c, jobId);
                next.deleted(c, jobId);
            }
        };
    }
}
