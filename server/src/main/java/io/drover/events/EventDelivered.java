package io.drover.events;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Told when an event resolves a workflow step's wait, inside the sending transaction. Owned by
 * events so that events need not know workflows: the workflow engine implements it and
 * {@code DroverServer} wires it, which keeps the arrow workflows -> events one way.
 */
public interface EventDelivered {
    void eventReceived(Connection c, UUID workflowRunId, String stepId, String key, String payload)
            throws SQLException;
}
