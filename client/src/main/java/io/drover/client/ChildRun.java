package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A settled child of a run, as a resumed parent's claim carries it ({@link RunContext#children()}).
 *
 * @param id the child run's id
 * @param status how it settled (completed, failed, canceled, dead_letter, ...)
 * @param result its result, a NullNode when it has none
 * @param error why it failed, or null
 */
public record ChildRun(String id, RunStatus status, JsonNode result, ErrorInfo error) {

    /** @return whether the child completed */
    public boolean isCompleted() {
        return status == RunStatus.COMPLETED;
    }
}
