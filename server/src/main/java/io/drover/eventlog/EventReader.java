package io.drover.eventlog;

import java.sql.Connection;
import java.util.List;
import java.util.UUID;

/**
 * Reads committed events in id order: what the live stream, webhook fan-out and log drains consume.
 * Implemented by the event log (issue 17); fixed here first so that its consumers can be built at
 * the same time.
 */
public interface EventReader {
    /**
     * Events after {@code cursor} (null: from the oldest kept), of one project or of every project
     * when {@code projectId} is null, in increasing id order, at most {@code limit}. Only events whose
     * transactions committed; an event that commits late is still returned after every cursor that
     * was handed out before it (no gap, no repeat).
     */
    List<Event> after(Connection c, String cursor, UUID projectId, int limit);

    /**
     * The cursor after every event readable now (a consumer with nothing to consume may move its
     * cursor there without reading), or null when the reader cannot tell.
     */
    default String headCursor(Connection c) {
        return null;
    }

    /** Runs {@code wake} (on a background thread, quickly) whenever new events may be readable. */
    void onNewEvents(Runnable wake);
}
