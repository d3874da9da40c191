package io.drover.client;

/**
 * A {@link RunHandler} that receives its payload already mapped to a Java type. A payload that
 * does not map to the type fails the run without retry, since no retry can fix it.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
public interface TypedHandler<T> {

    /**
     * Executes one attempt of a run.
     *
     * @param ctx the run being executed, with its cancellation flag
     * @param payload the run's payload as a {@code T}
     * @return the result
     * @throws Exception to fail the attempt
     */
    Object handle(RunContext ctx, T payload) throws Exception;
}
