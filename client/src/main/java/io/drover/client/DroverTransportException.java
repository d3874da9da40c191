package io.drover.client;

/**
 * Thrown when a request got no HTTP answer at all: the connection was refused or reset, the
 * request timed out, or the calling thread was interrupted. Such calls are usually safe to retry.
 */
public class DroverTransportException extends DroverException {

    /**
     * Creates a transport exception.
     *
     * @param message which request failed and how
     * @param cause the I/O failure, timeout or interruption
     */
    public DroverTransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
