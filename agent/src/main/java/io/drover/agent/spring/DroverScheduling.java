package io.drover.agent.spring;

import io.drover.agent.AgentCommand;
import io.drover.agent.DroverAgent;
import io.drover.agent.ObservedSchedule;
import io.drover.agent.Recent;
import io.drover.agent.TaskEvent;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.CronTask;
import org.springframework.scheduling.config.IntervalTask;
import org.springframework.scheduling.config.ScheduledTask;
import org.springframework.scheduling.config.ScheduledTaskHolder;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.scheduling.config.Task;
import org.springframework.scheduling.config.TaskExecutionOutcome;
import org.springframework.scheduling.support.ScheduledMethodRunnable;
import org.springframework.scheduling.support.ScheduledTaskObservationContext;

/**
 * Reports Spring's {@code @Scheduled} methods to Drover: each run of a method is a task (started,
 * succeeded or failed with its exception), seen through the observation Spring Framework 6.1+
 * makes around every scheduled method; the methods' triggers are the observed schedules. Drover's
 * {@code retry} runs the method once more now on the application's scheduler; Spring cannot
 * cancel a running method, nor pause a trigger and resume it, so those commands are refused.
 *
 * <pre>{@code
 * @Bean DroverScheduling drover() {
 *     return new DroverScheduling(DroverAgent.builder(url, token));
 * }
 * }</pre>
 *
 * <p>If the application already gives the scheduler an {@link ObservationRegistry} (Spring Boot's
 * Actuator does), the agent's handler is added to it; otherwise the agent installs its own.
 */
public final class DroverScheduling implements SchedulingConfigurer, SmartLifecycle, ApplicationContextAware {
    public static final String ENGINE = "spring-scheduled";
    private static final String EXTERNAL_ID = DroverScheduling.class.getName() + ".id";

    private final DroverAgent.Builder builder;
    private final Recent<Runnable> runs = new Recent<>(10_000);
    private final Recent<String> methodOfRun = new Recent<>(10_000);
    private volatile DroverAgent agent;
    private volatile ApplicationContext context;
    private volatile ScheduledTaskRegistrar registrar;

    public DroverScheduling(DroverAgent.Builder builder) {
        this.builder = builder.framework("spring").engine(ENGINE).scheduler(ENGINE).capability("retry");
    }

    public DroverAgent agent() {
        return agent;
    }

    @Override
    public void setApplicationContext(ApplicationContext applicationContext) {
        this.context = applicationContext;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        ObservationRegistry registry = registrar.getObservationRegistry();
        if (registry == null || registry.isNoop()) {
            registry = ObservationRegistry.create();
            registrar.setObservationRegistry(registry);
        }
        registry.observationConfig().observationHandler(new Runs());
        this.registrar = registrar;
    }

    /** Sees each run of a scheduled method. */
    private final class Runs implements ObservationHandler<ScheduledTaskObservationContext> {
        @Override
        public boolean supportsContext(Observation.Context ctx) {
            return ctx instanceof ScheduledTaskObservationContext;
        }

        @Override
        public void onStart(ScheduledTaskObservationContext ctx) {
            String id = UUID.randomUUID().toString();
            ctx.put(EXTERNAL_ID, id);
            methodOfRun.put(id, name(ctx.getTargetClass(), ctx.getMethod().getName()));
            record("task_started", ctx, null);
        }

        @Override
        public void onStop(ScheduledTaskObservationContext ctx) {
            Throwable error = ctx.getError();
            record(error == null ? "task_succeeded" : "task_failed", ctx, error);
        }

        private void record(String type, ScheduledTaskObservationContext ctx, Throwable error) {
            DroverAgent a = agent;
            if (a == null) {
                return;
            }
            String name = name(ctx.getTargetClass(), ctx.getMethod().getName());
            String id = ctx.getOrDefault(EXTERNAL_ID, UUID.randomUUID().toString());
            a.record(new TaskEvent(0, type, Instant.now(), TaskEvent.Task.of(ENGINE, id, name), TaskEvent.TaskError.of(error),
                    null));
        }
    }

    private static String name(Class<?> type, String method) {
        return type.getName() + "." + method;
    }

    private static String name(Runnable r) {
        return r instanceof ScheduledMethodRunnable m ? name(m.getTarget().getClass(), m.getMethod().getName())
                : r.toString();
    }

    private List<ScheduledTask> scheduledTasks() {
        List<ScheduledTask> out = new ArrayList<>();
        ApplicationContext ctx = context;
        if (ctx == null) {
            return out;
        }
        ObjectProvider<ScheduledTaskHolder> holders = ctx.getBeanProvider(ScheduledTaskHolder.class);
        holders.forEach(h -> out.addAll(h.getScheduledTasks()));
        return out;
    }

    private List<ObservedSchedule> schedules() {
        List<ObservedSchedule> out = new ArrayList<>();
        for (ScheduledTask st : scheduledTasks()) {
            Task t = st.getTask();
            String name = name(t.getRunnable());
            runs.put(name, t.getRunnable());
            String type;
            String expr;
            if (t instanceof CronTask c) {
                type = "cron";
                expr = c.getExpression();
            } else if (t instanceof IntervalTask i) {
                type = "interval";
                expr = Long.toString(i.getIntervalDuration().toMillis());
            } else {
                type = "date";
                expr = null;
            }
            TaskExecutionOutcome last = t.getLastExecutionOutcome();
            out.add(new ObservedSchedule(ENGINE, name, name, type, expr, true, st.nextExecution(),
                    last == null ? null : last.executionTime()));
        }
        return out;
    }

    private AgentCommand.Result handle(AgentCommand c) {
        if (!c.type().equals("retry")) {
            return AgentCommand.Result.failed("Spring @Scheduled methods have no " + c.type() + " command");
        }
        String method = c.target() == null ? null : methodOfRun.get(c.target());
        method = method == null ? c.target() : method;
        Runnable r = method == null ? null : runs.get(method);
        if (r == null) {
            for (ScheduledTask st : scheduledTasks()) {
                if (name(st.getTask().getRunnable()).equals(method)) {
                    r = st.getTask().getRunnable();
                }
            }
        }
        TaskScheduler scheduler = registrar == null ? null : registrar.getScheduler();
        if (r == null || scheduler == null) {
            return AgentCommand.Result.failed("no scheduled method " + c.target()
                    + " (a retry's target is a run of the method, or the method as <class>.<method>)");
        }
        scheduler.schedule(r, Instant.now());
        return AgentCommand.Result.ok("ran " + method + " once more");
    }

    @Override
    public void start() {
        agent = builder.commands(this::handle).schedules(this::schedules).build().start();
    }

    @Override
    public void stop() {
        DroverAgent a = agent;
        if (a != null) {
            a.close();
        }
        agent = null;
    }

    @Override
    public boolean isRunning() {
        return agent != null;
    }
}
