package io.drover.cli;

/**
 * A command line that parses but cannot be used (bad JSON, a missing API key, an unreadable
 * file): the command prints the message and exits with {@link ExitCodes#USAGE} without sending anything.
 */
public final class UsageError extends RuntimeException {
    /**
     * Creates a usage error.
     *
     * @param message what is wrong and how to fix it, as a full sentence
     */
    public UsageError(String message) {
        super(message);
    }
}
