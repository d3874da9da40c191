package io.drover.agent.jobrunr;

import io.drover.agent.AgentCommand;
import io.drover.agent.DroverAgent;
import io.drover.agent.ObservedSchedule;
import io.drover.agent.TaskEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jobrunr.jobs.Job;
import org.jobrunr.jobs.RecurringJob;
import org.jobrunr.jobs.filters.ApplyStateFilter;
import org.jobrunr.jobs.filters.JobServerFilter;
import org.jobrunr.jobs.states.JobState;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.storage.JobNotFoundException;
import org.jobrunr.storage.StorageProvider;

/**
 * Reports JobRunr's jobs to Drover through its job filters, and carries out Drover's commands:
 * {@code retry} enqueues the job again, {@code cancel} deletes it (JobRunr interrupts it when it is
 * running). JobRunr's open-source edition cannot pause a recurring job, so {@code pause} and
 * {@code resume} are refused.
 *
 * <pre>{@code
 * DroverJobRunr drover = new DroverJobRunr(DroverAgent.builder(url, token));
 * JobRunr.configure().useStorageProvider(storage).withJobFilter(drover).useBackgroundJobServer().initialize();
 * drover.start(storage);
 * }</pre>
 */
public final class DroverJobRunr implements JobServerFilter, ApplyStateFilter {
    public static final String ENGINE = "jobrunr";

    private final DroverAgent.Builder builder;
    private volatile DroverAgent agent;
    private volatile StorageProvider storage;

    public DroverJobRunr(DroverAgent.Builder builder) {
        this.builder = builder.framework(ENGINE).engine(ENGINE).scheduler(ENGINE)
                .capability("retry").capability("cancel");
    }

    public DroverAgent start(StorageProvider storageProvider) {
        this.storage = storageProvider;
        this.agent = builder.commands(this::handle).schedules(this::schedules).build().start();
        return agent;
    }

    public DroverAgent agent() {
        return agent;
    }

    private void record(String type, Job job, Throwable error) {
        DroverAgent a = agent;
        if (a == null) {
            return;
        }
        String queue = job.getLabels() == null || job.getLabels().isEmpty() ? null : job.getLabels().get(0);
        TaskEvent.Task task = new TaskEvent.Task(job.getId().toString(), ENGINE, job.getJobName(), queue, null, null,
                job.getRecurringJobId().orElse(null));
        a.record(new TaskEvent(0, type, Instant.now(), task, TaskEvent.TaskError.of(error), null));
    }

    @Override
    public void onStateApplied(Job job, JobState oldState, JobState newState) {
        StateName to = newState.getName();
        StateName from = oldState == null ? null : oldState.getName();
        if (to == StateName.ENQUEUED && from != StateName.FAILED) {
            record("task_sent", job, null);
        } else if (to == StateName.DELETED) {
            record("task_cancelled", job, null);
        } else if (from == StateName.FAILED && (to == StateName.SCHEDULED || to == StateName.ENQUEUED)) {
            record("task_retry", job, null);
        }
    }

    @Override
    public void onProcessing(Job job) {
        record("task_started", job, null);
    }

    @Override
    public void onProcessingSucceeded(Job job) {
        record("task_succeeded", job, null);
    }

    @Override
    public void onProcessingFailed(Job job, Exception e) {
        record("task_failed", job, e);
    }

    private AgentCommand.Result handle(AgentCommand c) {
        if (!c.type().equals("retry") && !c.type().equals("cancel")) {
            return AgentCommand.Result.failed("JobRunr has no " + c.type() + " command");
        }
        UUID id;
        try {
            id = UUID.fromString(c.target());
        } catch (IllegalArgumentException | NullPointerException e) {
            return AgentCommand.Result.failed("a JobRunr target is a job id (a UUID), got " + c.target());
        }
        Job job;
        try {
            job = storage.getJobById(id);
        } catch (JobNotFoundException e) {
            return AgentCommand.Result.failed("no JobRunr job " + id);
        }
        if (c.type().equals("retry")) {
            job.enqueue();
            storage.save(job);
            return AgentCommand.Result.ok("enqueued " + id + " again");
        }
        job.delete("cancelled from Drover");
        storage.save(job);
        return AgentCommand.Result.ok("deleted " + id);
    }

    private List<ObservedSchedule> schedules() {
        List<ObservedSchedule> out = new ArrayList<>();
        for (RecurringJob r : storage.getRecurringJobs()) {
            out.add(new ObservedSchedule(ENGINE, r.getId(), r.getJobName(), "cron", r.getScheduleExpression(), true,
                    r.getNextRun(), null));
        }
        return out;
    }
}
