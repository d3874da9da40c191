package io.drover.bench.peers;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration.JobRunrConfigurationResult;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * JobRunr (open-source edition) with its PostgreSQL storage provider and Jackson as JSON mapper.
 * Jobs are enqueued with the documented bulk API ({@code enqueue(Stream, lambda)}, saved in batches);
 * a job is done when its row in jobrunr_jobs is SUCCEEDED.
 */
public final class JobRunrContender implements Contender {
    static Duration poll = Duration.ofSeconds(5);

    private HikariDataSource ds;
    private PostgresStorageProvider storage;
    private JobScheduler scheduler;
    private BackgroundJobServer server;
    private io.drover.agent.jobrunr.DroverJobRunr drover;

    @Override
    public void attachAgent(io.drover.agent.DroverAgent.Builder b) {
        this.drover = new io.drover.agent.jobrunr.DroverJobRunr(b);
    }

    /** The job JobRunr runs: a static method, so that no activator is needed. */
    public static void noop(long payload) {
        Sink.executed(payload);
    }

    @Override
    public void init(String jdbcUrl, int threads, Sink sink) {
        ds = Pools.pool(jdbcUrl, threads, "jobrunr");
        storage = new PostgresStorageProvider(ds);
        var configuration = JobRunr.configure()
                .useJsonMapper(new JacksonJsonMapper())
                .useStorageProvider(storage);
        if (drover != null) {
            configuration.withJobFilter(drover);
        }
        JobRunrConfigurationResult r = configuration
                .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                        .andWorkerCount(threads).andPollInterval(poll), false)
                .initialize();
        scheduler = r.getJobScheduler();
        server = r.getBackgroundJobServer();
        if (drover != null) {
            drover.start(storage);
        }
    }

    @Override
    public void enqueue(List<Long> payloads) {
        if (payloads.size() == 1) {
            long p = payloads.get(0);
            scheduler.enqueue(() -> JobRunrContender.noop(p));
        } else {
            scheduler.enqueue(payloads.stream(), p -> JobRunrContender.noop(p));
        }
    }

    @Override
    public void startWorkers() {
        server.start();
    }

    @Override
    public long done(Connection c, long enqueued) throws Exception {
        try (var s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM jobrunr_jobs WHERE state = 'SUCCEEDED'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public Map<String, String> settings(int threads) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("version", "org.jobrunr:jobrunr 8.7.0 (open source), PostgresStorageProvider, JacksonJsonMapper (Jackson 2.20)");
        m.put("workers", "andWorkerCount(" + threads + ")");
        m.put("pollInterval", poll.toMillis() + " ms (the smallest the open-source edition accepts; default 15 s)");
        m.put("enqueue", "JobScheduler.enqueue(Stream, lambda): the documented bulk enqueue, saved in batches; single enqueue for batches of 1");
        m.put("pool", "HikariCP, " + Pools.size(threads) + " connections");
        m.put("done", "jobrunr_jobs.state = 'SUCCEEDED'");
        return m;
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
        if (drover != null && drover.agent() != null) {
            drover.agent().close();
        }
        JobRunr.destroy();
        if (storage != null) {
            storage.close();
        }
        if (ds != null) {
            ds.close();
        }
    }
}
