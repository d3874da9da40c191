package io.drover.http;

/** A handler's answer: a status and a body rendered as JSON (a String body is sent as text). */
public record Reply(int status, Object body, String contentType) {
    public static Reply ok(Object body) {
        return new Reply(200, body, "application/json");
    }

    public static Reply created(Object body) {
        return new Reply(201, body, "application/json");
    }

    /** A body written straight to the response as it is produced (exports), not held in memory. */
    @FunctionalInterface
    public interface Streamed {
        void writeTo(java.io.OutputStream out) throws java.io.IOException;
    }

    public static Reply stream(Streamed body, String contentType) {
        return new Reply(200, body, contentType);
    }

    public static Reply text(String body, String contentType) {
        return new Reply(200, body, contentType);
    }
}
