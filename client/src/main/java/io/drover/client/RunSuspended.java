package io.drover.client;

/**
 * Thrown by {@link RunContext#waitForChildren()} and {@link RunContext#continueWith} to end the
 * handler's attempt without a result: the worker then tells the server (the run waits for its
 * children without a worker slot, or is completed with a continuation). A handler that catches
 * exceptions broadly should let this one through; the worker acts on the request even if it does
 * not, and ignores what the handler returns then.
 */
public final class RunSuspended extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RunSuspended(String message) {
        super(message, null, false, false);
    }
}
