package io.drover.ui;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a live region listens to: the page's frame opens the event stream ({@code /v1/stream}, with
 * the session's cookie) through htmx's SSE extension, and a region re-fetches itself when one of
 * these event types arrives (at most once per {@link #THROTTLE}).
 */
public final class Live {
    /** Every run event type (docs/state-machine.md), as stream types. */
    static final List<String> RUN_EVENTS = List.of("created", "promoted", "claimed", "dequeued", "push_started",
            "completed", "attempt_failed", "attempt_timed_out", "attempt_crashed", "dead_lettered", "failed",
            "timed_out", "crashed", "canceled", "expired", "replayed", "released", "waiting", "resumed",
            "system_failed");
    static final String THROTTLE = "throttle:400ms";

    private Live() {}

    /** The hx-trigger value of a region that follows runs. */
    public static String runs() {
        return RUN_EVENTS.stream().map(t -> "sse:run." + t + " " + THROTTLE).collect(Collectors.joining(", "));
    }

    /** The hx-trigger value of a region that follows workflow runs and their steps. */
    public static String workflows() {
        return List.of("workflow_run.running", "workflow_run.completed", "workflow_run.failed", "workflow_run.canceled",
                "workflow_run.waiting", "workflow_step.completed", "workflow_step.failed", "workflow_step.running",
                "workflow_step.waiting", "workflow_step.skipped", "approval.approved", "approval.rejected")
                .stream().map(t -> "sse:" + t + " " + THROTTLE).collect(Collectors.joining(", "));
    }

    /** The hx-trigger value of a region that follows agents' liveness ({@code agent.<state>} events). */
    public static String agents() {
        return List.of("agent.online", "agent.degraded", "agent.offline", "agent.unknown").stream()
                .map(t -> "sse:" + t + " " + THROTTLE).collect(Collectors.joining(", "));
    }
}
