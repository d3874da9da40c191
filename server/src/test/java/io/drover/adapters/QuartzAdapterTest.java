package io.drover.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.agent.DroverAgent;
import io.drover.agent.quartz.DroverQuartz;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quartz.CronScheduleBuilder;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;

/**
 * The Quartz adapter against a real Quartz (JDBC JobStore on PostgreSQL) and a real Drover: executions
 * become tasks with their errors, triggers become schedules, and Drover's retry and pause reach Quartz.
 */
@DroverTest
class QuartzAdapterTest {
    static TestServer server;
    static Api api;
    private Scheduler scheduler;
    private DroverAgent agent;

    public static final class Hello implements Job {
        static final AtomicInteger RUNS = new AtomicInteger();

        @Override
        public void execute(JobExecutionContext ctx) {
            RUNS.incrementAndGet();
        }
    }

    /** Runs until it is interrupted. */
    public static final class Slow implements org.quartz.InterruptableJob {
        private final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);

        @Override
        public void execute(JobExecutionContext ctx) throws JobExecutionException {
            try {
                if (!stop.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new JobExecutionException("never interrupted");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void interrupt() {
            stop.countDown();
        }
    }

    public static final class Boom implements Job {
        @Override
        public void execute(JobExecutionContext ctx) throws JobExecutionException {
            throw new JobExecutionException(new IllegalStateException("the ledger is locked"));
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (scheduler != null) {
            scheduler.shutdown(true);
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void executionsTriggersRetryAndPauseGoBothWays() throws Exception {
        Agents.Registered reg = Agents.register(api, "billing-quartz");
        scheduler = quartz(server.jdbcUrl());
        agent = DroverQuartz.attach(scheduler, Agents.builder(server.baseUrl(), reg));

        scheduler.addJob(JobBuilder.newJob(Hello.class).withIdentity("hello", "billing").storeDurably().build(), false);
        scheduler.scheduleJob(TriggerBuilder.newTrigger().withIdentity("hello-now", "billing")
                .forJob("hello", "billing").startNow().build());
        scheduler.scheduleJob(JobBuilder.newJob(Boom.class).withIdentity("boom", "billing").build(),
                TriggerBuilder.newTrigger().withIdentity("boom-now", "billing").startNow().build());
        scheduler.scheduleJob(JobBuilder.newJob(Hello.class).withIdentity("nightly", "billing").build(),
                TriggerBuilder.newTrigger().withIdentity("nightly-cron", "billing")
                        .withSchedule(CronScheduleBuilder.cronSchedule("0 0 3 * * ?")).build());
        scheduler.start();

        List<JsonNode> tasks = Agents.awaitTasks(api, "quartz", "hello succeeded and boom failed",
                t -> Agents.count(t, "billing.hello", "succeeded") == 1 && Agents.count(t, "billing.boom", "failed") == 1);
        JsonNode boom = tasks.stream().filter(t -> t.path("name").asText().equals("billing.boom")).findFirst().orElseThrow();
        assertThat(boom.path("queue").asText()).isEqualTo("billing");
        assertThat(boom.path("group_id").asText()).isEqualTo("billing.boom-now");
        JsonNode detail = api.get("/v1/tasks/" + boom.path("id").asText()).json();
        assertThat(detail.toString()).contains("the ledger is locked").contains("java.lang.IllegalStateException");
        List<String> types = new java.util.ArrayList<>();
        detail.path("events").forEach(e -> types.add(e.path("type").asText()));
        assertThat(types).containsExactly("task_started", "task_failed");

        JsonNode cron = Await.value("the cron trigger reported", Duration.ofSeconds(30),
                () -> Agents.schedules(api, reg.id()).stream()
                        .filter(s -> s.path("name").asText().equals("billing.nightly-cron")).findFirst().orElse(null),
                s -> s != null);
        assertThat(cron.path("type").asText()).isEqualTo("cron");
        assertThat(cron.path("expression").asText()).isEqualTo("0 0 3 * * ?");
        assertThat(cron.path("enabled").asBoolean()).isTrue();

        // retry: Drover's command reaches Quartz, which runs the job again, and the new run is reported
        JsonNode hello = tasks.stream().filter(t -> t.path("name").asText().equals("billing.hello")).findFirst().orElseThrow();
        Api.Answer retry = api.post("/v1/tasks/" + hello.path("id").asText() + "/retry", null);
        assertThat(retry.status()).as(retry.text()).isEqualTo(202);
        JsonNode done = Agents.awaitCommand(api, retry.json().path("id").asText(), "succeeded");
        assertThat(done.path("message").asText()).contains("billing.hello");
        Agents.awaitTasks(api, "quartz", "the retried run reported",
                t -> Agents.count(t, "billing.hello", "succeeded") == 2);
        assertThat(Hello.RUNS.get()).isEqualTo(2);

        // pause: the trigger is paused in Quartz, and the schedule says so in Drover
        Api.Answer pause = api.post("/v1/agents/" + reg.id() + "/schedules/billing.nightly-cron/pause", null);
        assertThat(pause.status()).as(pause.text()).isEqualTo(202);
        Agents.awaitCommand(api, pause.json().path("id").asText(), "succeeded");
        assertThat(scheduler.getTriggerState(TriggerKey.triggerKey("nightly-cron", "billing")))
                .isEqualTo(Trigger.TriggerState.PAUSED);
        Await.until("the paused schedule reported", Duration.ofSeconds(30), () -> Agents.schedules(api, reg.id()).stream()
                .anyMatch(s -> s.path("name").asText().equals("billing.nightly-cron") && !s.path("enabled").asBoolean()));

        // cancel: Drover refuses it for a task that has finished; a running one is interrupted in Quartz
        assertThat(api.post("/v1/tasks/" + boom.path("id").asText() + "/cancel", null).status()).isEqualTo(409);
        scheduler.scheduleJob(JobBuilder.newJob(Slow.class).withIdentity("slow", "billing").build(),
                TriggerBuilder.newTrigger().withIdentity("slow-now", "billing").startNow().build());
        JsonNode slow = Agents.awaitTasks(api, "quartz", "the slow job started",
                t -> Agents.count(t, "billing.slow", "started") == 1).stream()
                .filter(t -> t.path("name").asText().equals("billing.slow")).findFirst().orElseThrow();
        Api.Answer cancel = api.post("/v1/tasks/" + slow.path("id").asText() + "/cancel", null);
        assertThat(cancel.status()).as(cancel.text()).isEqualTo(202);
        Agents.awaitCommand(api, cancel.json().path("id").asText(), "succeeded");
        Agents.awaitTasks(api, "quartz", "the slow job reported cancelled",
                t -> Agents.count(t, "billing.slow", "cancelled") == 1);
        assertThat(scheduler.getCurrentlyExecutingJobs()).isEmpty();
    }

    /** Quartz clustered on the JDBC JobStore, on the test database, with the tables its jar ships. */
    static Scheduler quartz(String jdbcUrl) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", ""); Statement s = c.createStatement();
                InputStream in = Scheduler.class.getClassLoader()
                        .getResourceAsStream("org/quartz/impl/jdbcjobstore/tables_postgres.sql")) {
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String t = line.strip();
                if (!t.startsWith("#") && !t.startsWith("--")) {
                    sql.append(line).append('\n');
                }
            }
            for (String stmt : sql.toString().split(";")) {
                String t = stmt.strip();
                if (!t.isEmpty() && !t.equalsIgnoreCase("commit") && !t.toLowerCase().startsWith("drop table")) {
                    s.execute(t);
                }
            }
        }
        Properties p = new Properties();
        p.put("org.quartz.scheduler.instanceName", "adapter-test");
        p.put("org.quartz.scheduler.instanceId", "AUTO");
        p.put("org.quartz.scheduler.skipUpdateCheck", "true");
        p.put("org.quartz.scheduler.idleWaitTime", "1000");
        p.put("org.quartz.threadPool.threadCount", "2");
        p.put("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.put("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.put("org.quartz.jobStore.dataSource", "ds");
        p.put("org.quartz.dataSource.ds.provider", "hikaricp");
        p.put("org.quartz.dataSource.ds.driver", "org.postgresql.Driver");
        p.put("org.quartz.dataSource.ds.URL", jdbcUrl);
        p.put("org.quartz.dataSource.ds.user", "postgres");
        p.put("org.quartz.dataSource.ds.password", "");
        p.put("org.quartz.dataSource.ds.maxConnections", "4");
        return new StdSchedulerFactory(p).getScheduler();
    }
}
