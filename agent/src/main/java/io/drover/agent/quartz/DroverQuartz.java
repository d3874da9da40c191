package io.drover.agent.quartz;

import io.drover.agent.AgentCommand;
import io.drover.agent.DroverAgent;
import io.drover.agent.ObservedSchedule;
import io.drover.agent.Recent;
import io.drover.agent.TaskEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.quartz.CronTrigger;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleTrigger;
import org.quartz.Trigger;
import org.quartz.TriggerKey;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.listeners.JobListenerSupport;
import org.quartz.listeners.SchedulerListenerSupport;

/**
 * Reports a Quartz scheduler's job executions and triggers to Drover, and carries out Drover's
 * commands on it: {@code retry} fires the job again now with the same data, {@code cancel}
 * interrupts a running execution (its job must implement {@code InterruptableJob}), {@code pause}
 * and {@code resume} pause and resume a trigger (the schedule name is the trigger's key,
 * {@code group.name}).
 *
 * <pre>{@code
 * DroverAgent agent = DroverQuartz.attach(scheduler, DroverAgent.builder(url, token));
 * }</pre>
 *
 * <p>The listener only puts events in the agent's buffer: a Quartz thread never waits for Drover.
 * Job data is reported as strings, and only when {@code reportData} is set: it may hold secrets.
 */
public final class DroverQuartz {
    public static final String ENGINE = "quartz";

    private final Scheduler scheduler;
    private final boolean reportData;
    private final Recent<Execution> fired = new Recent<>(10_000);
    /** Executions Drover asked to cancel: when they end they are reported as cancelled. */
    private final Recent<Boolean> canceled = new Recent<>(1_000);
    private DroverAgent agent;

    private DroverQuartz(Scheduler scheduler, boolean reportData) {
        this.scheduler = scheduler;
        this.reportData = reportData;
    }

    /** Registers the listeners on {@code scheduler} and starts an agent built from {@code builder}. */
    public static DroverAgent attach(Scheduler scheduler, DroverAgent.Builder builder) throws SchedulerException {
        return attach(scheduler, builder, false);
    }

    public static DroverAgent attach(Scheduler scheduler, DroverAgent.Builder builder, boolean reportData)
            throws SchedulerException {
        DroverQuartz q = new DroverQuartz(scheduler, reportData);
        q.agent = builder.framework(ENGINE).engine(ENGINE).scheduler(ENGINE)
                .capability("retry").capability("cancel").capability("pause_schedule").capability("resume_schedule")
                .metadata("scheduler_name", scheduler.getSchedulerName())
                .commands(q::handle).schedules(q::schedules).build();
        scheduler.getListenerManager().addJobListener(q.new Jobs());
        scheduler.getListenerManager().addSchedulerListener(q.new Changes());
        return q.agent.start();
    }

    /** What a retry needs of a recent execution. */
    private record Execution(JobKey job, JobDataMap data) {}

    private TaskEvent.Task task(JobExecutionContext ctx) {
        JobKey key = ctx.getJobDetail().getKey();
        Map<String, Object> kwargs = null;
        if (reportData) {
            kwargs = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : ctx.getMergedJobDataMap().entrySet()) {
                kwargs.put(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        return new TaskEvent.Task(ctx.getFireInstanceId(), ENGINE, key.toString(), key.getGroup(), null, kwargs,
                ctx.getTrigger().getKey().toString());
    }

    private final class Jobs extends JobListenerSupport {
        @Override
        public String getName() {
            return "drover-agent";
        }

        @Override
        public void jobToBeExecuted(JobExecutionContext ctx) {
            fired.put(ctx.getFireInstanceId(),
                    new Execution(ctx.getJobDetail().getKey(), ctx.getMergedJobDataMap()));
            agent.record(new TaskEvent(0, "task_started", null, task(ctx), null, null));
        }

        @Override
        public void jobExecutionVetoed(JobExecutionContext ctx) {
            agent.record(new TaskEvent(0, "task_cancelled", null, task(ctx), null, null));
        }

        @Override
        public void jobWasExecuted(JobExecutionContext ctx, JobExecutionException error) {
            if (canceled.get(ctx.getFireInstanceId()) != null) {
                agent.record(new TaskEvent(0, "task_cancelled", null, task(ctx), null, null));
                return;
            }
            if (error == null) {
                agent.record(new TaskEvent(0, "task_succeeded", null, task(ctx), null, null));
                return;
            }
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            agent.record(new TaskEvent(0, "task_failed", null, task(ctx), TaskEvent.TaskError.of(cause), null));
            if (error.refireImmediately()) {
                agent.record(new TaskEvent(0, "task_retry", null, task(ctx), null, null));
            }
        }
    }

    private final class Changes extends SchedulerListenerSupport {
        @Override
        public void jobScheduled(Trigger trigger) {
            agent.schedulesChanged();
        }

        @Override
        public void jobUnscheduled(TriggerKey key) {
            agent.schedulesChanged();
        }

        @Override
        public void triggerPaused(TriggerKey key) {
            agent.schedulesChanged();
        }

        @Override
        public void triggerResumed(TriggerKey key) {
            agent.schedulesChanged();
        }

        @Override
        public void triggersPaused(String group) {
            agent.schedulesChanged();
        }

        @Override
        public void triggersResumed(String group) {
            agent.schedulesChanged();
        }
    }

    private AgentCommand.Result handle(AgentCommand c) throws SchedulerException {
        switch (c.type()) {
            case "retry": {
                Execution e = fired.get(c.target());
                if (e == null) {
                    return AgentCommand.Result.failed("no recent execution " + c.target() + " on this node");
                }
                if (!scheduler.checkExists(e.job())) {
                    return AgentCommand.Result.failed("job " + e.job() + " no longer exists");
                }
                scheduler.triggerJob(e.job(), e.data());
                return AgentCommand.Result.ok("fired " + e.job() + " again");
            }
            case "cancel":
                canceled.put(c.target(), Boolean.TRUE);
                return scheduler.interrupt(c.target())
                        ? AgentCommand.Result.ok("interrupted " + c.target())
                        : AgentCommand.Result.failed("execution " + c.target()
                                + " is not running here, or its job is not an InterruptableJob");
            case "pause":
            case "resume": {
                TriggerKey key = triggerKey(c.target());
                if (key == null || !scheduler.checkExists(key)) {
                    return AgentCommand.Result.failed("no trigger " + c.target());
                }
                if (c.type().equals("pause")) {
                    scheduler.pauseTrigger(key);
                } else {
                    scheduler.resumeTrigger(key);
                }
                return AgentCommand.Result.ok(c.type() + "d trigger " + key);
            }
            default:
                return AgentCommand.Result.failed("unsupported command " + c.type());
        }
    }

    /** A trigger key from its {@code group.name} text (the group is Quartz's DEFAULT when there is no dot). */
    static TriggerKey triggerKey(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        int dot = text.indexOf('.');
        return dot < 0 ? TriggerKey.triggerKey(text) : TriggerKey.triggerKey(text.substring(dot + 1), text.substring(0, dot));
    }

    private List<ObservedSchedule> schedules() {
        List<ObservedSchedule> out = new ArrayList<>();
        try {
            for (String group : scheduler.getTriggerGroupNames()) {
                for (TriggerKey key : scheduler.getTriggerKeys(GroupMatcher.triggerGroupEquals(group))) {
                    Trigger t = scheduler.getTrigger(key);
                    if (t == null) {
                        continue;
                    }
                    String type;
                    String expr;
                    if (t instanceof CronTrigger ct) {
                        type = "cron";
                        expr = ct.getCronExpression();
                    } else if (t instanceof SimpleTrigger st && st.getRepeatCount() != 0) {
                        type = "interval";
                        expr = Long.toString(st.getRepeatInterval());
                    } else {
                        type = "date";
                        expr = t.getStartTime() == null ? null : t.getStartTime().toInstant().toString();
                    }
                    boolean enabled = scheduler.getTriggerState(key) != Trigger.TriggerState.PAUSED;
                    out.add(new ObservedSchedule(scheduler.getSchedulerName(), key.toString(), t.getJobKey().toString(),
                            type, expr, enabled,
                            t.getNextFireTime() == null ? null : t.getNextFireTime().toInstant(),
                            t.getPreviousFireTime() == null ? null : t.getPreviousFireTime().toInstant()));
                }
            }
        } catch (SchedulerException e) {
            throw new IllegalStateException("could not read Quartz's triggers: " + e.getMessage(), e);
        }
        return out;
    }
}
