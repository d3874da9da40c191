package io.drover.events;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Told when an event resolves a plain run's wait ({@code POST /v1/runs/{id}/wait} with
 * {@code event_key}), inside the sending transaction. Owned by events so that events need not
 * know runs: {@code DroverServer} connects it to the run store, which queues the run again.
 */
@FunctionalInterface
public interface RunWaiters {
    RunWaiters NONE = (c, projectId, runId, key, payload) -> { };

    void eventReceived(Connection c, UUID projectId, UUID runId, String key, String payloadJson) throws SQLException;
}
