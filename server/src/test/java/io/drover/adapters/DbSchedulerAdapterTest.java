package io.drover.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.drover.agent.dbscheduler.DroverDbScheduler;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The db-scheduler adapter against a real db-scheduler on PostgreSQL and a real Drover, with Drover
 * away for a while: nothing the engine ran is lost and nothing is counted twice when it is back.
 */
@DroverTest
class DbSchedulerAdapterTest {
    static TestServer server;
    static Api api;
    private HikariDataSource ds;
    private Scheduler scheduler;
    private DroverDbScheduler drover;
    private Gate gate;
    static final AtomicInteger RUNS = new AtomicInteger();

    @AfterEach
    void stop() {
        if (scheduler != null) {
            scheduler.stop();
        }
        if (drover != null && drover.agent() != null) {
            drover.agent().close();
        }
        if (gate != null) {
            gate.close();
        }
        if (ds != null) {
            ds.close();
        }
    }

    @Test
    void executionsRunWhileDroverIsAwayArriveOnceWhenItIsBack() throws Exception {
        Agents.Registered reg = Agents.register(api, "reports-db-scheduler");
        gate = new Gate(server.baseUrl());
        ds = dataSource(server.jdbcUrl());
        OneTimeTask<Void> report = Tasks.oneTime("report").execute((inst, ctx) -> {
            RUNS.incrementAndGet();
            if (inst.getId().startsWith("bad")) {
                throw new IllegalArgumentException("no such customer " + inst.getId());
            }
        });
        RecurringTask<Void> cleanup = Tasks.recurring("cleanup", FixedDelay.ofHours(1)).execute((inst, ctx) -> { });
        drover = new DroverDbScheduler(Agents.builder(gate.url(), reg));
        scheduler = Scheduler.create(ds, report).startTasks(cleanup).threads(4).pollingInterval(Duration.ofMillis(50))
                .addSchedulerListener(drover).build();
        drover.start(scheduler);
        scheduler.start();

        // Drover is away: the engine runs on, the agent buffers
        for (int i = 0; i < 100; i++) {
            scheduler.schedule(report.instance((i % 10 == 0 ? "bad-" : "ok-") + i), Instant.now());
        }
        Await.until("db-scheduler ran all 100", Duration.ofSeconds(30), () -> RUNS.get() >= 100);
        Await.until("the agent tried and was refused", Duration.ofSeconds(30), () -> gate.refused() >= 3);
        assertThat(Agents.tasks(api, "db-scheduler")).isEmpty();

        // Drover is back: everything arrives, once
        gate.open();
        List<JsonNode> tasks = Agents.awaitTasks(api, "db-scheduler", "all 100 reported",
                t -> t.stream().filter(x -> x.path("name").asText().equals("report")
                        && (x.path("state").asText().equals("succeeded") || x.path("state").asText().equals("failed")))
                        .count() == 100);
        assertThat(tasks.stream().filter(t -> t.path("state").asText().equals("failed")).count()).isEqualTo(10);
        JsonNode bad = tasks.stream().filter(t -> t.path("external_id").asText().equals("report/bad-0")).findFirst()
                .orElseThrow();
        assertThat(bad.path("error").toString()).contains("no such customer bad-0");
        Await.until("the agent's buffer drained", Duration.ofSeconds(30), () -> drover.agent().buffered() == 0);
        java.util.Map<String, Long> byType = server.db().read(c -> {
            java.util.Map<String, Long> out = new java.util.TreeMap<>();
            try (ResultSet rs = c.createStatement().executeQuery("SELECT type, count(*) FROM agent_task_events "
                    + "WHERE external_id LIKE 'report/%' GROUP BY type")) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        });
        // once each: 100 scheduled, 100 started, 90 succeeded, 10 failed; db-scheduler reschedules a failed
        // one-time execution (its default failure handler), so 10 more scheduled
        assertThat(byType).containsExactlyEntriesOf(new java.util.TreeMap<>(java.util.Map.of(
                "task_sent", 110L, "task_started", 100L, "task_succeeded", 90L, "task_failed", 10L)));

        // the recurring task is an observed schedule; a retry reschedules it to run now
        JsonNode schedule = Await.value("the recurring task reported", Duration.ofSeconds(30),
                () -> Agents.schedules(api, reg.id()).stream()
                        .filter(s -> s.path("name").asText().equals("cleanup/recurring")).findFirst().orElse(null),
                s -> s != null);
        assertThat(schedule.path("task").asText()).isEqualTo("cleanup");
        JsonNode cleanupTask = Agents.awaitTasks(api, "db-scheduler", "the recurring task ran once",
                t -> Agents.count(t, "cleanup", "succeeded") == 1).stream()
                .filter(t -> t.path("name").asText().equals("cleanup")).findFirst().orElseThrow();
        Api.Answer retry = api.post("/v1/tasks/" + cleanupTask.path("id").asText() + "/retry", null);
        assertThat(retry.status()).as(retry.text()).isEqualTo(202);
        Agents.awaitCommand(api, retry.json().path("id").asText(), "succeeded");
        Await.until("the rescheduled execution ran and was reported", Duration.ofSeconds(30), () -> server.db().read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT count(*) FROM agent_task_events WHERE external_id = 'cleanup/recurring' AND type = 'task_succeeded'")) {
                rs.next();
                return rs.getLong(1) == 2;
            }
        }));
    }

    static HikariDataSource dataSource(String jdbcUrl) throws Exception {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        cfg.setUsername("postgres");
        cfg.setMaximumPoolSize(6);
        HikariDataSource ds = new HikariDataSource(cfg);
        // The table of db-scheduler's documentation (postgresql_tables.sql); its jar does not ship it.
        try (Connection c = ds.getConnection()) {
            c.createStatement().execute("""
                    create table scheduled_tasks (
                      task_name text not null, task_instance text not null, task_data bytea,
                      execution_time timestamp with time zone not null, picked boolean not null, picked_by text,
                      last_success timestamp with time zone, last_failure timestamp with time zone,
                      consecutive_failures int, last_heartbeat timestamp with time zone, version bigint not null,
                      priority smallint, primary key (task_name, task_instance));
                    create index execution_time_idx on scheduled_tasks (execution_time);
                    create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);""");
        }
        return ds;
    }
}
