package io.drover.metrics;

import static io.drover.http.Route.get;

import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.http.OpenApi;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.store.Db;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Health, readiness, Prometheus metrics and the OpenAPI document: no key needed. */
public final class OpsRoutes {
    private final Db db;
    private final PrometheusMeterRegistry registry;
    private final QueueDepth depth;
    private final BooleanSupplier ready;
    private final Supplier<List<Route>> allRoutes;
    private final String version;

    public OpsRoutes(Db db, PrometheusMeterRegistry registry, QueueDepth depth, BooleanSupplier ready,
            Supplier<List<Route>> allRoutes, String version) {
        this.db = db;
        this.registry = registry;
        this.depth = depth;
        this.ready = ready;
        this.allRoutes = allRoutes;
        this.version = version;
    }

    public List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        routes.add(get("/healthz", null, "Process is up", c -> Reply.ok(Json.object().put("status", "ok"))));
        routes.add(get("/readyz", null, "Database reachable and migrations applied", c -> {
            if (!ready.getAsBoolean() || !db.ping()) {
                throw new ApiError(503, "not_ready", "database unreachable or not migrated yet", Map.of());
            }
            return Reply.ok(Json.object().put("status", "ready"));
        }));
        routes.add(get("/metrics", null, "Prometheus metrics", c -> {
            depth.refreshIfStale();
            return Reply.text(registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
        }));
        routes.add(get("/openapi.json", null, "This API's OpenAPI document",
                c -> Reply.ok(OpenApi.document(allRoutes.get(), version))));
        return routes;
    }
}
