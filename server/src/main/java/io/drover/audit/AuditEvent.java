package io.drover.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.time.Instant;
import java.util.UUID;

/**
 * One audit row. {@link #canonical()} is the exact text the row's HMAC covers: every field in a
 * fixed order, the time in microseconds (PostgreSQL's precision) and the details as PostgreSQL
 * prints the stored jsonb, so that the row read back hashes to the same value. {@code seq} orders
 * all rows (pages, export); {@code chainSeq} is the row's place in its project's chain, 1, 2, ...
 * without gaps, and is covered by the HMAC.
 */
public record AuditEvent(long seq, long chainSeq, UUID id, Instant ts, String actorType, UUID actorId,
        UUID projectId, String action, String targetType, String targetId, String detailsText, String prevRowHmac,
        String rowHmac) {

    /** What the HMAC covers: the row with its place in its project's chain. */
    public String canonical() {
        ArrayNode a = fields("v2");
        a.add(chainSeq);
        return Json.write(a);
    }

    /** What the HMAC covered before the chains were per project (one global chain, V7 and before). */
    String canonicalV1() {
        return Json.write(fields("v1"));
    }

    private ArrayNode fields(String version) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        a.add(version);
        a.add(id.toString());
        a.add(ts.getEpochSecond() * 1_000_000L + ts.getNano() / 1_000);
        a.add(actorType);
        a.add(actorId == null ? null : actorId.toString());
        a.add(projectId == null ? null : projectId.toString());
        a.add(action);
        a.add(targetType);
        a.add(targetId);
        a.add(detailsText);
        return a;
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("seq", seq);
        n.put("chain_seq", chainSeq);
        n.put("ts", ts.toString());
        n.putObject("actor").put("type", actorType).put("id", actorId == null ? null : actorId.toString());
        n.put("project_id", projectId == null ? null : projectId.toString());
        n.put("action", action);
        n.put("target_type", targetType);
        n.put("target_id", targetId);
        JsonNode details = Json.read(detailsText);
        n.set("details", details);
        n.put("prev_row_hmac", prevRowHmac);
        n.put("row_hmac", rowHmac);
        return n;
    }
}
