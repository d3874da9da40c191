package io.drover.client;

import java.time.Duration;
import java.util.List;

/**
 * Receives what a {@link Worker} does, for metrics or logs. Every method has a no-op default and is
 * called on a worker thread, so it must be quick; an exception it throws is logged and ignored.
 * Errors are logged through {@link System.Logger} whether or not a listener is set.
 */
public interface WorkerListener {

    /** Called before a handler starts. */
    default void onRunStarted(RunContext ctx) {
    }

    /** Called when a handler returns or throws; {@code ctx.isCanceled()} tells whether the outcome is dropped. */
    default void onRunFinished(RunContext ctx, Outcome outcome, Duration elapsed) {
    }

    /** Called when the server said a run is no longer this worker's (canceled, reaped or reassigned). */
    default void onRunLost(RunContext ctx, RunStatus status) {
    }

    /** Called when a call to the server failed; {@code operation} is claim, heartbeat, complete or release. */
    default void onError(String operation, Throwable error) {
    }

    /** Called when outcomes could not be reported after all retries; the server will retry those runs. */
    default void onOutcomesDropped(List<Outcome> outcomes, Throwable cause) {
    }
}
