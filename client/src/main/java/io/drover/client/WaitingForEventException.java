package io.drover.client;

/**
 * Thrown by {@link RunContext#waitForEvent} when the run now waits for its event: the worker has
 * let go of the run, which comes back (to this or another worker) once the event is sent or the
 * wait times out, and its handler then runs again from the top, where {@code waitForEvent}
 * answers with the event. Let it propagate: the worker reports no outcome for the run.
 */
public final class WaitingForEventException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String eventKey;

    WaitingForEventException(String runId, String eventKey) {
        super("run " + runId + " waits for event '" + eventKey + "'", null, false, false);
        this.eventKey = eventKey;
    }

    /** @return the key of the event the run waits for */
    public String eventKey() {
        return eventKey;
    }
}
