package io.drover.endpoints;

import static io.drover.http.Route.get;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * {@code GET /v1/endpoints}: the health and circuit of every endpoint the caller's project sends to.
 * The state is shared by all projects (one remote server), but a project sees only the endpoints
 * its own jobs (and, once wired, webhooks and log drains) name, never another project's.
 */
public final class EndpointRoutes {
    private final EndpointHealth health;
    private final List<Function<UUID, Collection<String>>> sources = new CopyOnWriteArrayList<>();

    public EndpointRoutes(EndpointHealth health) {
        this.health = health;
        sources.add(health::projectPushEndpoints);
    }

    /** Another kind of outbound destination of a project (webhooks, log drains): its endpoints. */
    public EndpointRoutes withSource(Function<UUID, Collection<String>> endpointsOfProject) {
        sources.add(endpointsOfProject);
        return this;
    }

    public List<Route> routes() {
        return List.of(get("/v1/endpoints", Role.VIEWER,
                "Outbound endpoints of the project with their health score and circuit", c -> {
                    Set<String> endpoints = new TreeSet<>();
                    for (var s : sources) {
                        endpoints.addAll(s.apply(c.projectId()));
                    }
                    ObjectNode out = Json.object();
                    ArrayNode data = out.putArray("data");
                    health.states(endpoints).forEach(s -> data.add(s.toJson(health.breaker())));
                    out.putNull("next_cursor");
                    return Reply.ok(out);
                }));
    }
}
