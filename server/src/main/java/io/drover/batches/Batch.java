package io.drover.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/**
 * A batch cancel or replay: the runs its filter matched when it was made ({@code matched}), how
 * many it changed ({@code done}) and how many it could not ({@code failed}: locked by another
 * change at that moment, no longer in the filtered status, or not replayable).
 */
public record Batch(UUID id, UUID projectId, String kind, JsonNode filter, String status, int matched, int done,
        int failed, UUID upperId, UUID lastRunId, Instant createdAt, Instant finishedAt) {

    static final String COLUMNS = "id, project_id, kind, filter::text, status, matched, done, failed, upper_id, "
            + "last_run_id, created_at, finished_at";

    static Batch map(ResultSet rs) throws SQLException {
        Timestamp finished = rs.getTimestamp(12);
        return new Batch(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                Json.read(rs.getString(4)), rs.getString(5), rs.getInt(6), rs.getInt(7), rs.getInt(8),
                rs.getObject(9, UUID.class), rs.getObject(10, UUID.class), rs.getTimestamp(11).toInstant(),
                finished == null ? null : finished.toInstant());
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("kind", kind);
        n.put("status", status);
        n.put("matched", matched);
        n.put("done", done);
        n.put("failed", failed);
        n.set("filter", filter);
        n.put("created_at", createdAt.toString());
        n.put("finished_at", finishedAt == null ? null : finishedAt.toString());
        return n;
    }
}
