package io.drover.agents;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** A task of another engine as its agent reported it; args and kwargs were redacted when stored. */
public record Task(UUID id, UUID agentId, String externalId, String engine, String name, String queue, String state,
        String args, String kwargs, String error, String retriedAs, String groupId, Instant enqueuedAt,
        Instant startedAt, Instant finishedAt, long lastSeq, Instant updatedAt) {

    static final String COLUMNS = "id, agent_id, external_id, engine, name, queue, state, args, kwargs, error, "
            + "retried_as, group_id, enqueued_at, started_at, finished_at, last_seq, updated_at";

    static Task map(ResultSet rs) throws SQLException {
        return new Task(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                rs.getString(10), rs.getString(11), rs.getString(12), Agent.instant(rs, 13), Agent.instant(rs, 14),
                Agent.instant(rs, 15), rs.getLong(16), Agent.instant(rs, 17));
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("agent_id", agentId.toString());
        n.put("external_id", externalId);
        n.put("engine", engine);
        n.put("name", name);
        n.put("queue", queue);
        n.put("state", state);
        n.set("args", args == null ? null : Json.read(args));
        n.set("kwargs", kwargs == null ? null : Json.read(kwargs));
        n.set("error", error == null ? null : Json.read(error));
        n.put("retried_as", retriedAs);
        n.put("group_id", groupId);
        n.put("enqueued_at", Agent.text(enqueuedAt));
        n.put("started_at", Agent.text(startedAt));
        n.put("finished_at", Agent.text(finishedAt));
        n.put("last_seq", lastSeq);
        n.put("updated_at", Agent.text(updatedAt));
        return n;
    }
}
