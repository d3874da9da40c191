package io.drover.bench.peers;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * db-scheduler with its PostgreSQL-recommended lock-and-fetch polling (SELECT ... FOR UPDATE SKIP
 * LOCKED), one-time tasks scheduled with {@code scheduleBatch}. A one-time task's row is deleted when
 * its execution completes, so "done" is "enqueued minus rows left".
 */
final class DbSchedulerContender implements Contender {
    static final Duration POLL = Duration.ofMillis(100);

    private HikariDataSource ds;
    private Scheduler scheduler;
    private OneTimeTask<Long> task;
    private final AtomicLong seq = new AtomicLong();
    private io.drover.agent.dbscheduler.DroverDbScheduler drover;

    @Override
    public void attachAgent(io.drover.agent.DroverAgent.Builder b) {
        this.drover = new io.drover.agent.dbscheduler.DroverDbScheduler(b);
    }

    @Override
    public void init(String jdbcUrl, int threads, Sink sink) throws Exception {
        ds = Pools.pool(jdbcUrl, threads, "db-scheduler");
        // The table definition from db-scheduler's documentation (postgresql_tables.sql); the jar does not ship it.
        Pools.exec(ds, """
                create table scheduled_tasks (
                  task_name text not null, task_instance text not null, task_data bytea,
                  execution_time timestamp with time zone not null, picked boolean not null, picked_by text,
                  last_success timestamp with time zone, last_failure timestamp with time zone,
                  consecutive_failures int, last_heartbeat timestamp with time zone, version bigint not null,
                  priority smallint, primary key (task_name, task_instance));
                create index execution_time_idx on scheduled_tasks (execution_time);
                create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
                create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);""");
        task = Tasks.oneTime("noop", Long.class).execute((inst, ctx) -> Sink.executed(inst.getData()));
        var builder = Scheduler.create(ds, task)
                .threads(threads)
                .pollUsingLockAndFetch(1.0, 4.0)
                .pollingInterval(POLL)
                .enableImmediateExecution();
        if (drover != null) {
            builder.addSchedulerListener(drover);
        }
        scheduler = builder.build();
        if (drover != null) {
            drover.start(scheduler);
        }
    }

    @Override
    public void enqueue(List<Long> payloads) {
        Instant now = Instant.now();
        if (payloads.size() == 1) {
            scheduler.schedule(task.instance("i" + seq.incrementAndGet(), payloads.get(0)), now);
            return;
        }
        List<TaskInstance<?>> batch = new ArrayList<>(payloads.size());
        for (Long p : payloads) {
            batch.add(task.instance("i" + seq.incrementAndGet(), p));
        }
        scheduler.scheduleBatch(batch, now);
    }

    @Override
    public void startWorkers() {
        scheduler.start();
    }

    @Override
    public long done(Connection c, long enqueued) throws Exception {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM scheduled_tasks")) {
            rs.next();
            return enqueued - rs.getLong(1);
        }
    }

    @Override
    public Map<String, String> settings(int threads) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("version", "com.github.kagkarlsson:db-scheduler 16.12.0");
        m.put("polling", "pollUsingLockAndFetch(1.0, 4.0), the README's high-throughput example: SELECT ... FOR UPDATE SKIP LOCKED, fetches up to threads x 4 minus those left, refetches when no more than threads x 1.0 are left");
        m.put("threads", "threads(" + threads + ")");
        m.put("pollingInterval", POLL.toMillis() + " ms (default 10 s; only matters when the queue runs dry)");
        m.put("enableImmediateExecution", "on (a job scheduled for now wakes the poller in this JVM)");
        m.put("enqueue", "SchedulerClient.scheduleBatch (one multi-row insert per batch); single schedule() for batches of 1");
        m.put("pool", "HikariCP, " + Pools.size(threads) + " connections");
        m.put("done", "the one-time task's row is deleted on completion: enqueued - count(*) of scheduled_tasks");
        return m;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.stop();
        }
        if (drover != null && drover.agent() != null) {
            drover.agent().close();
        }
        if (ds != null) {
            ds.close();
        }
    }
}
