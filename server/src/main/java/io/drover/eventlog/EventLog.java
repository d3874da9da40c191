package io.drover.eventlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.runs.RunEvent;
import io.drover.store.DbException;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event log's read side: run events ({@code run.<type>}) and the rows of the {@code log_events}
 * table, bucket by bucket of the fences that {@link FenceWriter} writes (V15__event_log.sql), in
 * (fence, source, seq) order. Only complete buckets are read (those up to the latest fence), so an
 * event whose transaction commits late lands in a bucket no reader has seen yet: resuming after
 * any id handed out misses nothing and repeats nothing.
 */
public final class EventLog implements EventReader {
    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    static final Sql SQL = Sql.load("/sql/eventlog.sql");
    /** Fences per read: their buckets go into one statement per source table. */
    static final int FENCES_PER_READ = 1000;

    private final List<Runnable> wakers = new CopyOnWriteArrayList<>();

    /**
     * A page of events and where the next read starts: after the last event when the page is full
     * ({@code more}), else after the latest fence (a position that is never an event's id).
     */
    public record Page(List<Event> events, EventId position, boolean more) {}

    @Override
    public List<Event> after(Connection c, String cursor, UUID projectId, int limit) {
        try {
            return page(c, EventId.parse(cursor, "cursor"), projectId, limit).events();
        } catch (SQLException e) {
            throw new DbException(e);
        }
    }

    @Override
    public void onNewEvents(Runnable wake) {
        wakers.add(wake);
    }

    /** A fence was written (by this node, or by another one: its NOTIFY): wakes the readers. */
    public void fenced() {
        for (Runnable w : wakers) {
            try {
                w.run();
            } catch (RuntimeException e) {
                log.warn("an event log reader's wake-up failed", e);
            }
        }
    }

    /** After the latest fence: where a reader that wants only what comes next starts. */
    @Override
    public String headCursor(Connection c) {
        try {
            return head(c).toString();
        } catch (SQLException e) {
            throw new io.drover.store.DbException(e);
        }
    }

    public EventId head(Connection c) throws SQLException {
        try (Query q = SQL.prepare(c, "latest_fence"); ResultSet rs = q.query()) {
            return EventId.endOf(rs.next() ? rs.getLong(1) : 0);
        }
    }

    /** At most {@code limit} events after {@code after}, of one project (or all: null), in id order. */
    public Page page(Connection c, EventId after, UUID projectId, int limit) throws SQLException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit);
        }
        List<Event> out = new ArrayList<>();
        EventId pos = after;
        if (pos.fence() == 0) {
            if (pos.source() <= EventId.RUN_EVENTS) {
                try (Query q = SQL.prepare(c, "run_events_legacy")) {
                    q.set("after_seq", pos.source() == EventId.RUN_EVENTS ? pos.seq() : -1L)
                            .set("project_id", projectId).set("limit", limit);
                    try (ResultSet rs = q.query()) {
                        while (rs.next()) {
                            out.add(runEvent(rs, 0));
                        }
                    }
                }
                if (out.size() >= limit) {
                    return new Page(out, EventId.parse(out.get(out.size() - 1).id(), "id"), true);
                }
            }
            pos = new EventId(1, -1, -1);
        }
        while (true) {
            long lo = 0;
            List<long[]> fences = new ArrayList<>();
            try (Query q = SQL.prepare(c, "fences_from")) {
                q.set("fence", pos.fence()).set("limit", FENCES_PER_READ + 1);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        long fence = rs.getLong(1);
                        if (fence < pos.fence()) {
                            lo = rs.getLong(2);
                        } else {
                            fences.add(new long[] {fence, rs.getLong(2)});
                        }
                    }
                }
            }
            boolean moreFences = fences.size() > FENCES_PER_READ;
            if (moreFences) {
                fences = fences.subList(0, FENCES_PER_READ);
            }
            if (fences.isEmpty()) {
                return new Page(out, out.isEmpty() ? pos : EventId.parse(out.get(out.size() - 1).id(), "id"), false);
            }
            Long[] bounds = new Long[fences.size() + 1];
            bounds[0] = lo;
            for (int i = 0; i < fences.size(); i++) {
                bounds[i + 1] = fences.get(i)[1];
            }
            boolean cursorBucket = fences.get(0)[0] == pos.fence();
            int remaining = limit - out.size();
            List<Event> found = new ArrayList<>();
            List<EventId> ids = new ArrayList<>();
            for (int source : new int[] {EventId.RUN_EVENTS, EventId.EVENTS}) {
                long afterSeq = !cursorBucket || source > pos.source() ? -1
                        : source == pos.source() ? pos.seq() : Long.MAX_VALUE;
                try (Query q = SQL.prepare(c, source == EventId.RUN_EVENTS ? "run_events_in" : "events_in")) {
                    q.setArray("bounds", "int8", bounds).set("lo", lo).set("hi", bounds[bounds.length - 1])
                            .set("first_hi", bounds[1]).set("after_seq", afterSeq).set("project_id", projectId)
                            .set("limit", remaining);
                    try (ResultSet rs = q.query()) {
                        while (rs.next()) {
                            long fence = fences.get(rs.getInt(1) - 1)[0];
                            found.add(source == EventId.RUN_EVENTS ? runEvent(rs, fence) : event(rs, fence));
                        }
                    }
                }
            }
            found.sort(Comparator.comparing(Event::id));
            if (found.size() >= remaining) {
                out.addAll(found.subList(0, remaining));
                return new Page(out, EventId.parse(out.get(out.size() - 1).id(), "id"), true);
            }
            out.addAll(found);
            long last = fences.get(fences.size() - 1)[0];
            if (!moreFences) {
                return new Page(out, EventId.endOf(last), false);
            }
            pos = new EventId(last + 1, -1, -1);
        }
    }

    private static Event runEvent(ResultSet rs, long fence) throws SQLException {
        long seq = rs.getLong(2);
        UUID projectId = rs.getObject(3, UUID.class);
        UUID runId = rs.getObject(4, UUID.class);
        String type = rs.getString(5);
        Instant createdAt = rs.getTimestamp(11).toInstant();
        UUID eventId = rs.getObject(12, UUID.class);
        String toStatus = rs.getString(7);
        ObjectNode data = new RunEvent(eventId != null ? eventId : RunEvent.derivedId(createdAt, seq), runId, type,
                rs.getString(6), toStatus, rs.getInt(8), rs.getString(9), rs.getString(10), createdAt, seq).toJson();
        data.put("job_slug", rs.getString(13));
        data.put("status", toStatus != null ? toStatus : rs.getString(14));
        return new Event(new EventId(fence, EventId.RUN_EVENTS, seq).toString(), "run." + type, createdAt, projectId,
                runId, data);
    }

    private static Event event(ResultSet rs, long fence) throws SQLException {
        long seq = rs.getLong(2);
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(rs.getString(6));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Event(new EventId(fence, EventId.EVENTS, seq).toString(), rs.getString(5),
                rs.getTimestamp(7).toInstant(), rs.getObject(3, UUID.class), rs.getObject(4, UUID.class),
                data instanceof ObjectNode o ? o : Json.object().set("value", data));
    }

    /** An event as the stream, webhooks and log drains send it: {@code {id, type, occurred_at, project_id, data}}. */
    public static ObjectNode toJson(Event e) {
        ObjectNode n = Json.object();
        n.put("id", e.id());
        n.put("type", e.type());
        n.put("occurred_at", e.occurredAt().toString());
        n.put("project_id", e.projectId().toString());
        n.set("data", e.data());
        return n;
    }
}
