package io.drover.client;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Why an attempt failed: an error type (for exceptions, the class name), a message and a stack
 * trace. It is the {@code error} object of a run and of a worker's failure report.
 *
 * @param type the error type, such as {@code java.lang.IllegalStateException}
 * @param message the human-readable message, possibly null
 * @param stacktrace the full stack trace text, possibly null
 */
public record ErrorInfo(String type, String message, String stacktrace) {

    /** Longer stack traces are cut, so that a failure report always fits in a request body. */
    static final int MAX_STACKTRACE_CHARS = 64 * 1024;
    static final int MAX_MESSAGE_CHARS = 8 * 1024;

    /**
     * Describes a throwable: its class name, its message and its stack trace with causes.
     *
     * @param error the throwable to describe
     * @return the error info
     */
    public static ErrorInfo from(Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        return new ErrorInfo(error.getClass().getName(),
                truncate(error.getMessage(), MAX_MESSAGE_CHARS),
                truncate(trace.toString(), MAX_STACKTRACE_CHARS));
    }

    private static String truncate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max) + "\n... (" + (text.length() - max) + " more characters cut)";
    }
}
