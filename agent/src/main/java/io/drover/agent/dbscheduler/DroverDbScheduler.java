package io.drover.agent.dbscheduler;

import com.github.kagkarlsson.scheduler.CurrentlyExecuting;
import com.github.kagkarlsson.scheduler.ScheduledExecution;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.event.AbstractSchedulerListener;
import com.github.kagkarlsson.scheduler.task.Execution;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import io.drover.agent.AgentCommand;
import io.drover.agent.DroverAgent;
import io.drover.agent.ObservedSchedule;
import io.drover.agent.TaskEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Reports db-scheduler's executions to Drover through its {@code SchedulerListener}, and carries out
 * Drover's commands: {@code retry} reschedules an execution to run now, {@code cancel} removes a
 * scheduled execution that is not running. db-scheduler has no paused schedules, so {@code pause}
 * and {@code resume} are refused. A task's external id is {@code <task name>/<instance id>}.
 *
 * <pre>{@code
 * DroverDbScheduler drover = new DroverDbScheduler(DroverAgent.builder(url, token));
 * Scheduler scheduler = Scheduler.create(dataSource, tasks).addSchedulerListener(drover).build();
 * drover.start(scheduler);
 * }</pre>
 */
public final class DroverDbScheduler extends AbstractSchedulerListener {
    public static final String ENGINE = "db-scheduler";

    private final DroverAgent.Builder builder;
    private volatile DroverAgent agent;
    private volatile SchedulerClient client;

    public DroverDbScheduler(DroverAgent.Builder builder) {
        this.builder = builder.framework(ENGINE).engine(ENGINE).scheduler(ENGINE)
                .capability("retry").capability("cancel");
    }

    /** Starts the agent; {@code client} (the scheduler itself) serves commands and the observed schedules. */
    public DroverAgent start(SchedulerClient schedulerClient) {
        this.client = schedulerClient;
        Supplier<List<ObservedSchedule>> schedules = this::schedules;
        this.agent = builder.commands(this::handle).schedules(schedules).build().start();
        return agent;
    }

    public DroverAgent agent() {
        return agent;
    }

    private static String externalId(TaskInstanceId id) {
        return id.getTaskName() + "/" + id.getId();
    }

    private static TaskEvent.Task task(TaskInstanceId id) {
        return new TaskEvent.Task(externalId(id), ENGINE, id.getTaskName(), id.getTaskName(), null, null, null);
    }

    private void record(String type, TaskInstanceId id, Throwable error) {
        DroverAgent a = agent;
        if (a != null) {
            a.record(new TaskEvent(0, type, Instant.now(), task(id), TaskEvent.TaskError.of(error), null));
        }
    }

    @Override
    public void onExecutionScheduled(TaskInstanceId id, Instant executionTime) {
        record("task_sent", id, null);
    }

    @Override
    public void onExecutionStart(CurrentlyExecuting executing) {
        record("task_started", executing.getTaskInstance(), null);
    }

    @Override
    public void onExecutionComplete(ExecutionComplete complete) {
        Execution e = complete.getExecution();
        if (e == null) {
            return;
        }
        if (complete.getResult() == ExecutionComplete.Result.OK) {
            record("task_succeeded", e.taskInstance, null);
        } else {
            record("task_failed", e.taskInstance, complete.getCause().orElse(null));
        }
    }

    @Override
    public void onExecutionDead(Execution execution) {
        record("task_expired", execution.taskInstance, null);
    }

    private AgentCommand.Result handle(AgentCommand c) {
        TaskInstanceId id = parse(c.target());
        if (id == null) {
            return AgentCommand.Result.failed("a db-scheduler target is <task name>/<instance id>, got " + c.target());
        }
        switch (c.type()) {
            case "retry":
                return client.reschedule(id, Instant.now())
                        ? AgentCommand.Result.ok("rescheduled " + c.target() + " to run now")
                        : AgentCommand.Result.failed("no scheduled execution " + c.target()
                                + " (db-scheduler deletes one-time executions when they finish)");
            case "cancel":
                if (client.getScheduledExecution(id).isEmpty()) {
                    return AgentCommand.Result.failed("no scheduled execution " + c.target());
                }
                client.cancel(id);
                return AgentCommand.Result.ok("cancelled " + c.target());
            default:
                return AgentCommand.Result.failed("db-scheduler has no " + c.type() + " command");
        }
    }

    static TaskInstanceId parse(String target) {
        if (target == null) {
            return null;
        }
        int slash = target.indexOf('/');
        return slash <= 0 || slash == target.length() - 1 ? null
                : TaskInstanceId.of(target.substring(0, slash), target.substring(slash + 1));
    }

    private List<ObservedSchedule> schedules() {
        List<ObservedSchedule> out = new ArrayList<>();
        for (ScheduledExecution<Object> e : client.getScheduledExecutions()) {
            TaskInstanceId id = e.getTaskInstance();
            out.add(new ObservedSchedule(ENGINE, externalId(id), id.getTaskName(), "date",
                    e.getExecutionTime().toString(), true, e.getExecutionTime(), e.getLastSuccess()));
        }
        return out;
    }
}
