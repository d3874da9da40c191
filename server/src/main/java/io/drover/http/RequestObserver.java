package io.drover.http;

/** Hears of every answered request once its status is final (HTTP metrics). */
@FunctionalInterface
public interface RequestObserver {
    RequestObserver NONE = (route, method, status, nanos) -> {};

    /**
     * @param route the matched route's template such as {@code /v1/runs/{id}}, or null when no
     *     route matched
     */
    void answered(String route, String method, int status, long nanos);
}
