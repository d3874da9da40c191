package io.drover.ui;

import io.drover.endpoints.EndpointHealth;
import java.util.List;
import java.util.TreeSet;

/** The health score and circuit of every endpoint the project's HTTP jobs push to. */
public final class EndpointsPage {
    private final EndpointHealth health;

    public EndpointsPage(EndpointHealth health) {
        this.health = health;
    }

    public record Row(String endpoint, String circuit, int score, long samples, int consecutiveFailures,
            String latency) {}

    public record Endpoints(List<Row> rows) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Endpoints";
        }
    }

    public List<UiRoute> routes() {
        return List.of(UiRoute.page("/ui/endpoints", "Endpoints", c -> {
            List<Row> rows = health.states(new TreeSet<>(health.projectPushEndpoints(c.projectId()))).stream()
                    .map(s -> new Row(s.endpoint(), s.circuit().db(), (int) Math.round(100 * s.healthScore(
                            health.breaker())), s.samples(), s.consecutiveFailures(),
                            s.latencyMs() == null ? "" : Math.round(s.latencyMs()) + " ms"))
                    .toList();
            return View.page("endpoints.jte", new Endpoints(rows));
        }));
    }
}
