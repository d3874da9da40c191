package io.drover.client;

/**
 * The base of every exception the Drover SDK throws, so that callers can catch them all at once.
 */
public class DroverException extends RuntimeException {

    /**
     * Creates an exception with a message and an optional cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure, or null
     */
    public DroverException(String message, Throwable cause) {
        super(message, cause);
    }
}
