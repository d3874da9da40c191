package io.drover.endpoints;

import io.drover.eventlog.EventWrites;
import io.drover.http.Json;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Circuit changes as events of the event log ({@code endpoint.open}, {@code endpoint.half_open},
 * {@code endpoint.closed}), written in the transaction that changes the circuit. A circuit is
 * shared by every project (one remote server), so each project whose http jobs name the endpoint
 * gets the event, as it sees the endpoint in {@code GET /v1/endpoints}.
 */
public final class CircuitEvents implements EndpointHealth.Hook {
    private static final Sql SQL = Sql.load("/sql/endpoints.sql");
    private final Breaker breaker;

    public CircuitEvents(Breaker breaker) {
        this.breaker = breaker;
    }

    @Override
    public void changed(Connection c, String endpoint, EndpointHealth.Circuit from, EndpointHealth.Circuit to,
            Instant at, EndpointHealth.State state) throws SQLException {
        Set<UUID> projects = new LinkedHashSet<>();
        try (Query q = SQL.prepare(c, "http_job_urls"); ResultSet rs = q.query()) {
            while (rs.next()) {
                if (endpoint.equals(Endpoint.of(rs.getString(2)))) {
                    projects.add(rs.getObject(1, UUID.class));
                }
            }
        }
        for (UUID project : projects) {
            var data = Json.object().put("endpoint", endpoint).put("from", from.db()).put("to", to.db())
                    .put("health_score", Math.round(state.healthScore(breaker) * 1000) / 1000.0).put("consecutive_failures", state.consecutiveFailures());
            EventWrites.insert(c, project, "endpoint." + to.db(), null, data, Timestamp.from(at));
        }
    }
}
