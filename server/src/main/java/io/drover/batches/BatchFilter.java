package io.drover.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.store.Query;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.UUID;

/**
 * Which runs a batch changes: those of the project, each field null for any (the job resolved to
 * its id when the batch is made). Stored in the batch row as JSON, bound into the FILTER predicate.
 */
record BatchFilter(UUID jobId, String job, String status, String queue, Instant createdAfter, Instant createdBefore) {

    /** The predicate over runs that replaces FILTER in batches.sql. */
    static final String PREDICATE = "project_id = :project_id"
            + " AND (CAST(:job_id AS uuid) IS NULL OR job_id = CAST(:job_id AS uuid))"
            + " AND (CAST(:status AS text) IS NULL OR status = CAST(CAST(:status AS text) AS run_status))"
            + " AND (CAST(:queue AS text) IS NULL OR queue = CAST(:queue AS text))"
            + " AND (CAST(:created_after AS timestamptz) IS NULL OR created_at >= CAST(:created_after AS timestamptz))"
            + " AND (CAST(:created_before AS timestamptz) IS NULL OR created_at < CAST(:created_before AS timestamptz))";

    Query bind(Query q, UUID projectId) throws SQLException {
        return q.set("project_id", projectId).set("job_id", jobId).set("status", status, Types.VARCHAR)
                .set("queue", queue, Types.VARCHAR)
                .set("created_after", createdAfter == null ? null : Timestamp.from(createdAfter), Types.TIMESTAMP)
                .set("created_before", createdBefore == null ? null : Timestamp.from(createdBefore), Types.TIMESTAMP);
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("job", job);
        n.put("job_id", jobId == null ? null : jobId.toString());
        n.put("status", status);
        n.put("queue", queue);
        n.put("created_after", createdAfter == null ? null : createdAfter.toString());
        n.put("created_before", createdBefore == null ? null : createdBefore.toString());
        return n;
    }

    static BatchFilter fromJson(JsonNode n) {
        return new BatchFilter(text(n, "job_id") == null ? null : UUID.fromString(text(n, "job_id")), text(n, "job"),
                text(n, "status"), text(n, "queue"), time(n, "created_after"), time(n, "created_before"));
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant time(JsonNode n, String f) {
        String s = text(n, f);
        return s == null ? null : Instant.parse(s);
    }
}
