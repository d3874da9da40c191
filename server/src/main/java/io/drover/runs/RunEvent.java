package io.drover.runs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.drover.http.Json;
import java.time.Instant;
import java.util.UUID;

/** One entry of a run's history; every change of status writes one. */
public record RunEvent(UUID id, UUID runId, String type, String fromStatus, String toStatus, int attempt,
        String message, String data, Instant createdAt, long seq) {
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("run_id", runId.toString());
        n.put("type", type);
        n.put("from_status", fromStatus);
        n.put("to_status", toStatus);
        n.put("attempt", attempt);
        n.put("message", message);
        if (data == null) {
            n.putNull("data");
        } else {
            n.putRawValue("data", new RawValue(data));
        }
        n.put("created_at", createdAt.toString());
        n.put("seq", seq);
        return n;
    }

    /**
     * The id of an event stored without one (every event since V5__lean_events.sql): a UUIDv7 made
     * from what the row has. unix_ts_ms = created_at in Unix milliseconds; version 7; rand_a = the
     * sub-millisecond part of created_at scaled to 12 bits (RFC 9562 section 6.2, method 3); variant
     * 10; rand_b = seq, 62 bits (method 1, a dedicated counter). seq is unique, so the id is too.
     */
    public static UUID derivedId(Instant createdAt, long seq) {
        if (seq < 0 || seq >= 1L << 62) {
            throw new IllegalArgumentException("seq out of range for an event id: " + seq);
        }
        long millis = createdAt.toEpochMilli();
        long subMillisNanos = Math.floorMod(createdAt.getNano(), 1_000_000);
        long randA = subMillisNanos * 4096 / 1_000_000;
        long msb = (millis << 16) | 0x7000L | randA;
        long lsb = Long.MIN_VALUE | seq;
        return new UUID(msb, lsb);
    }
}
