package io.drover.metrics;

import io.drover.http.RequestObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code drover_http_server_requests_seconds{route,method,status}}: every answered request, by
 * route template ({@code /v1/runs/{id}}, never the concrete path), method and status class
 * ({@code 2xx}..{@code 5xx}). Requests that match no route count as {@code route="unmatched"}, so
 * scanners cannot grow the label set.
 */
public final class HttpMetrics implements RequestObserver {
    public static final String UNMATCHED = "unmatched";
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void answered(String route, String method, int status, long nanos) {
        String r = route == null ? UNMATCHED : route;
        String m = knownMethod(method);
        String statusClass = status >= 100 && status < 600 ? CLASSES[status / 100 - 1] : "other";
        String key = r + ' ' + m + ' ' + statusClass;
        Timer timer = timers.get(key);
        if (timer == null) {
            timer = timers.computeIfAbsent(key, k -> Timer.builder("drover_http_server_requests")
                    .description("HTTP requests answered, by route template, method and status class")
                    .tags("route", r, "method", m, "status", statusClass)
                    .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
                            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
                            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                            Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10),
                            Duration.ofSeconds(30))
                    .register(registry));
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Methods are a closed set too: anything unusual is one label value. */
    private static String knownMethod(String method) {
        switch (method) {
            case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
                return method;
            default:
                return "OTHER";
        }
    }
}
