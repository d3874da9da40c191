package io.drover.client;

/**
 * Thrown by a worker handler to fail its run for good: the run goes to {@code failed} instead of
 * being retried. Use it for errors that no retry can fix, such as an invalid payload. The worker
 * also honours it when it is the cause of another exception.
 */
public class NonRetryableException extends RuntimeException {

    /**
     * Creates the exception with a message.
     *
     * @param message why the run cannot succeed
     */
    public NonRetryableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a message and a cause.
     *
     * @param message why the run cannot succeed
     * @param cause the underlying failure
     */
    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
