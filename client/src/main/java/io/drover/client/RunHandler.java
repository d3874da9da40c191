package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Executes the runs of one job inside a {@link Worker}. The returned value (any value Jackson can
 * write, or null) becomes the run's result; a thrown exception fails the attempt, and the run is
 * retried unless the exception is a {@link NonRetryableException}.
 */
@FunctionalInterface
public interface RunHandler {

    /**
     * Executes one attempt of a run.
     *
     * @param ctx the run being executed, with its cancellation flag
     * @param payload the run's payload, a NullNode when it has none
     * @return the result
     * @throws Exception to fail the attempt
     */
    Object handle(RunContext ctx, JsonNode payload) throws Exception;
}
