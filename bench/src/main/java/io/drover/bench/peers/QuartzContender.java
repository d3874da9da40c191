package io.drover.bench.peers;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * Quartz with the JDBC JobStore (JobStoreTX, PostgreSQLDelegate), clustered, on the tables of the
 * tables_postgres.sql that ships inside the quartz jar. Each job is a non-durable JobDetail with one
 * fire-now SimpleTrigger; both rows are deleted when the job has run, so "done" is "no trigger left".
 */
public final class QuartzContender implements Contender {
    private static final AtomicLong INSTANCES = new AtomicLong();
    private Scheduler scheduler;
    private final AtomicLong seq = new AtomicLong();
    private Properties props;
    private io.drover.agent.DroverAgent.Builder agentBuilder;
    private io.drover.agent.DroverAgent agent;

    @Override
    public void attachAgent(io.drover.agent.DroverAgent.Builder b) {
        this.agentBuilder = b;
    }

    /** The Quartz job: reports its payload. */
    public static final class Noop implements Job {
        @Override
        public void execute(JobExecutionContext ctx) {
            Sink.executed(ctx.getMergedJobDataMap().getLong("t"));
        }
    }

    @Override
    public void init(String jdbcUrl, int threads, Sink sink) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", ""); Statement s = c.createStatement();
                InputStream in = Scheduler.class.getClassLoader()
                        .getResourceAsStream("org/quartz/impl/jdbcjobstore/tables_postgres.sql")) {
            if (in == null) {
                throw new IllegalStateException("tables_postgres.sql is not in the quartz jar");
            }
            String script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            StringBuilder sql = new StringBuilder();
            for (String line : script.split("\n")) {
                String t = line.strip();
                if (!t.startsWith("#") && !t.startsWith("--")) {
                    sql.append(line).append('\n');
                }
            }
            for (String stmt : sql.toString().split(";")) {
                String t = stmt.strip();
                if (!t.isEmpty() && !t.equalsIgnoreCase("commit")) {
                    s.execute(t);
                }
            }
        }
        props = new Properties();
        props.put("org.quartz.scheduler.instanceName", "peers" + INSTANCES.incrementAndGet());
        props.put("org.quartz.scheduler.instanceId", "AUTO");
        props.put("org.quartz.scheduler.skipUpdateCheck", "true");
        props.put("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", String.valueOf(threads));
        props.put("org.quartz.scheduler.idleWaitTime", "1000");
        props.put("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        props.put("org.quartz.threadPool.threadCount", String.valueOf(threads));
        props.put("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        props.put("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        props.put("org.quartz.jobStore.isClustered", "true");
        props.put("org.quartz.jobStore.acquireTriggersWithinLock", "true");
        props.put("org.quartz.jobStore.dataSource", "ds");
        props.put("org.quartz.dataSource.ds.provider", "hikaricp");
        props.put("org.quartz.dataSource.ds.driver", "org.postgresql.Driver");
        props.put("org.quartz.dataSource.ds.URL", jdbcUrl);
        props.put("org.quartz.dataSource.ds.user", "postgres");
        props.put("org.quartz.dataSource.ds.password", "");
        props.put("org.quartz.dataSource.ds.maxConnections", String.valueOf(Pools.size(threads)));
        scheduler = new StdSchedulerFactory(props).getScheduler();
        if (agentBuilder != null) {
            agent = io.drover.agent.quartz.DroverQuartz.attach(scheduler, agentBuilder);
        }
    }

    @Override
    public void enqueue(List<Long> payloads) throws Exception {
        Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>();
        for (Long p : payloads) {
            String id = "j" + seq.incrementAndGet();
            JobDetail job = JobBuilder.newJob(Noop.class).withIdentity(id).usingJobData("t", p).build();
            Trigger trigger = TriggerBuilder.newTrigger().withIdentity(id).startNow().build();
            batch.put(job, Set.of(trigger));
        }
        if (batch.size() == 1) {
            var e = batch.entrySet().iterator().next();
            scheduler.scheduleJob(e.getKey(), e.getValue().iterator().next());
        } else {
            scheduler.scheduleJobs(batch, false);
        }
    }

    @Override
    public void startWorkers() throws Exception {
        scheduler.start();
    }

    @Override
    public long done(Connection c, long enqueued) throws Exception {
        try (var s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM qrtz_triggers) + (SELECT count(*) FROM qrtz_fired_triggers)")) {
            rs.next();
            return enqueued - rs.getLong(1);
        }
    }

    @Override
    public Map<String, String> settings(int threads) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("version", "org.quartz-scheduler:quartz 2.5.2; tables from tables_postgres.sql inside the jar");
        m.put("jobStore", "JobStoreTX, PostgreSQLDelegate, isClustered=true (row locks in QRTZ_LOCKS), acquireTriggersWithinLock=true");
        m.put("threadPool", "SimpleThreadPool, threadCount=" + threads);
        m.put("batchTriggerAcquisitionMaxCount", threads + " (default 1; the documented knob for many triggers firing at once)");
        m.put("idleWaitTime", "1000 ms (the smallest legal value; default 30 s)");
        m.put("enqueue", "Scheduler.scheduleJobs(Map<JobDetail, Set<Trigger>>, false): one transaction per batch; scheduleJob for batches of 1");
        m.put("dataSource", "provider=hikaricp, maxConnections=" + Pools.size(threads));
        m.put("done", "non-durable job: trigger and job rows are deleted when it completes; enqueued - triggers left - fired triggers left");
        return m;
    }

    @Override
    public void close() throws Exception {
        if (scheduler != null) {
            scheduler.shutdown(true);
        }
        if (agent != null) {
            agent.close();
        }
    }
}
