package io.drover.client;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

/** Logs worker trouble and forwards every event to the user's listener, shielding the worker from it. */
final class Notifier implements WorkerListener {

    private static final System.Logger LOG = System.getLogger(Worker.class.getName());

    private final WorkerListener listener;

    Notifier(WorkerListener listener) {
        this.listener = listener == null ? new WorkerListener() { } : listener;
    }

    @Override
    public void onRunStarted(RunContext ctx) {
        guard(() -> listener.onRunStarted(ctx));
    }

    @Override
    public void onRunFinished(RunContext ctx, Outcome outcome, Duration elapsed) {
        guard(() -> listener.onRunFinished(ctx, outcome, elapsed));
    }

    @Override
    public void onRunLost(RunContext ctx, RunStatus status) {
        LOG.log(Level.INFO, "run {0} ({1}) is no longer this worker''s, now {2}; its result will be dropped",
                ctx.runId(), ctx.jobSlug(), status);
        guard(() -> listener.onRunLost(ctx, status));
    }

    @Override
    public void onError(String operation, Throwable error) {
        LOG.log(Level.WARNING, "drover " + operation + " failed: " + error.getMessage(), error);
        guard(() -> listener.onError(operation, error));
    }

    @Override
    public void onOutcomesDropped(List<Outcome> outcomes, Throwable cause) {
        LOG.log(Level.ERROR, "could not report " + outcomes.size() + " run outcome(s); the server will retry "
                + "those runs once their leases expire: " + (cause == null ? "" : cause.getMessage()), cause);
        guard(() -> listener.onOutcomesDropped(outcomes, cause));
    }

    private static void guard(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "worker listener threw; ignored", e);
        }
    }
}
