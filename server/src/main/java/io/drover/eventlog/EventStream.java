package io.drover.eventlog;

import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.store.Db;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/stream} (API.md "Events"): server-sent events of one project, filtered by type,
 * resumable with {@code Last-Event-ID} or {@code ?after=}.
 *
 * <p>One tailer per node reads each new bucket of the log once (all projects), when a fence is
 * written (its NOTIFY, through the node's LISTEN connection, or this node's own fence writer) or
 * every {@code pollMs} while anyone listens, and hands the events to the connections of their
 * project in memory. A connection holds no database connection while it waits. A connection that
 * resumes from an older id first reads the log itself, a page at a time, until it has read up to
 * the latest fence; it then joins the tailer, provided the tailer has not read past that point
 * (else it reads again), and drops what the tailer hands it up to that point: no gap, no repeat.
 *
 * <p>Each connection's backlog is bounded ({@link #bufferSize} events): a batch that would not fit
 * cuts the connection off with an {@code error} event that names the last id it was sent, rather
 * than growing memory for a reader that does not keep up. A comment line goes out every
 * {@link #keepAliveMs} when nothing else does. {@link #close} ends every stream (server shutdown).
 */
public final class EventStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventStream.class);
    private static final Pattern TYPE = Pattern.compile("\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?");
    static final int PAGE = 500;
    static final int TAIL_PAGE = 1_000;
    private static final Object CLOSED = new Object();
    private static final Object OVERFLOW = new Object();

    private final Db db;
    private final EventLog eventLog;
    private final long pollMs;
    private volatile long keepAliveMs = 15_000;
    private volatile int bufferSize = 10_000;
    private volatile java.util.function.UnaryOperator<Event> redaction = e -> e;
    private final Object lock = new Object();
    private final Set<Conn> conns = new HashSet<>();
    /** Where the tailer reads next; null while nobody listens (the first to join sets it). */
    private EventId position;
    private boolean woken;
    /** Streams being served (catching up or live): close waits for them to say goodbye. */
    private int serving;
    private volatile boolean closed;
    private final Thread tailer;

    public EventStream(Db db, EventLog eventLog, long pollMs) {
        this.db = db;
        this.eventLog = eventLog;
        this.pollMs = pollMs;
        eventLog.onNewEvents(this::wake);
        this.tailer = Thread.ofPlatform().daemon().name("drover-stream-tail").start(this::tailLoop);
    }

    /** Between comment lines on an idle stream (15 s; tests shorten it). */
    public void setKeepAliveMs(long ms) {
        this.keepAliveMs = ms;
    }

    /** The most events a connection may have waiting before it is cut off. */
    public void setBufferSize(int events) {
        this.bufferSize = events;
    }

    /**
     * What every event goes through before it leaves (the project's redaction rules, as for every
     * outlet); applied once per event read, before the fan-out. Wiring time.
     */
    public void setRedaction(java.util.function.UnaryOperator<Event> redaction) {
        this.redaction = redaction;
    }

    /** Connections following the live tail now. */
    public int liveConnections() {
        synchronized (lock) {
            return conns.size();
        }
    }

    public List<Route> routes() {
        return List.of(Route.get("/v1/stream", Role.VIEWER,
                "Server-sent events of the project (types=run.*,workflow_run.*; resume with Last-Event-ID or after=)",
                call -> {
                    List<String> types = types(call.query("types"));
                    String lastEventId = call.ctx().header("Last-Event-ID");
                    EventId after = lastEventId != null && !lastEventId.isBlank()
                            ? EventId.parse(lastEventId.trim(), "Last-Event-ID")
                            : call.query("after") != null ? EventId.parse(call.query("after"), "after") : null;
                    UUID projectId = call.projectId();
                    call.ctx().header("Cache-Control", "no-store");
                    call.ctx().header("X-Accel-Buffering", "no");
                    return Reply.stream(out -> serve(projectId, types, after, out), "text/event-stream");
                }));
    }

    static List<String> types(String param) {
        if (param == null || param.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String t : param.split(",")) {
            String type = t.trim();
            if (type.isEmpty()) {
                continue;
            }
            if (type.length() > 100 || !TYPE.matcher(type).matches()) {
                throw new ApiError(400, "invalid_parameter", "types: '" + (type.length() > 100
                        ? type.substring(0, 100) + "..." : type)
                        + "' is not an event type or a prefix ending in .* (e.g. run.*,workflow_run.completed)",
                        Map.of("parameter", "types"));
            }
            out.add(type);
        }
        if (out.size() > 50) {
            throw new ApiError(400, "invalid_parameter", "types: at most 50", Map.of("parameter", "types"));
        }
        return out;
    }

    /** One connection: its catch-up from the database, then the live tail, until it ends. */
    void serve(UUID projectId, List<String> types, EventId after, OutputStream out) throws IOException {
        Conn conn = new Conn(projectId, types);
        synchronized (lock) {
            serving++;
        }
        try {
            write(out, ": drover event stream\n\n");
            EventId pos = after != null ? after : db.read(eventLog::head);
            String lastSent = after != null ? after.toString() : null;
            while (true) {
                if (closed) {
                    write(out, ": server shutting down\n\n");
                    return;
                }
                EventId from = pos;
                EventLog.Page page = db.read(c -> eventLog.page(c, from, projectId, PAGE));
                StringBuilder sb = new StringBuilder();
                for (Event e : page.events()) {
                    if (Event.matches(e.type(), types)) {
                        frame(sb, redaction.apply(e));
                        lastSent = e.id();
                    }
                }
                if (!sb.isEmpty()) {
                    write(out, sb.toString());
                }
                pos = page.position();
                if (!page.more() && join(conn, pos)) {
                    break;
                }
            }
            write(out, ": live\n\n");
            String threshold = pos.toString();
            List<Object> batch = new ArrayList<>();
            while (true) {
                Object first = conn.queue.poll(keepAliveMs, TimeUnit.MILLISECONDS);
                if (first == null) {
                    write(out, ": keep-alive\n\n");
                    continue;
                }
                batch.clear();
                batch.add(first);
                conn.queue.drainTo(batch);
                StringBuilder sb = new StringBuilder();
                for (Object o : batch) {
                    if (o == CLOSED) {
                        sb.append(": server shutting down\n\n");
                        write(out, sb.toString());
                        return;
                    }
                    if (o == OVERFLOW) {
                        sb.append("event: error\ndata: ").append(Json.MAPPER.writeValueAsString(Map.of("error", Map.of(
                                "code", "slow_consumer",
                                "message", "this stream fell more than " + bufferSize + " events behind and was closed;"
                                        + " reconnect with Last-Event-ID to resume after the last event it got",
                                "details", lastSent == null ? Map.of() : Map.of("last_event_id", lastSent)))))
                                .append("\n\n");
                        write(out, sb.toString());
                        return;
                    }
                    Event e = (Event) o;
                    if (e.id().compareTo(threshold) > 0) {
                        frame(sb, e);
                        lastSent = e.id();
                    }
                }
                if (!sb.isEmpty()) {
                    write(out, sb.toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            leave(conn);
        }
    }

    private static void frame(StringBuilder sb, Event e) throws IOException {
        sb.append("id: ").append(e.id()).append("\nevent: ").append(e.type()).append("\ndata: ")
                .append(Json.MAPPER.writeValueAsString(EventLog.toJson(e))).append("\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Joins the live tail when the tailer has read no further than {@code readThrough}. */
    private boolean join(Conn conn, EventId readThrough) {
        synchronized (lock) {
            if (closed) {
                return true; // the live loop sees CLOSED at once
            }
            if (position == null) {
                position = readThrough;
            } else if (position.compareTo(readThrough) > 0) {
                return false;
            }
            conns.add(conn);
            woken = true;
            lock.notifyAll();
        }
        if (closed) {
            conn.queue.add(CLOSED);
        }
        return true;
    }

    private void leave(Conn conn) {
        synchronized (lock) {
            serving--;
            lock.notifyAll();
            conns.remove(conn);
            if (conns.isEmpty()) {
                position = null; // nobody listens: the tailer stops reading
            }
        }
    }

    /** New events may be readable: the tailer reads soon. */
    public void wake() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    private void tailLoop() {
        long failures = 0;
        while (!closed) {
            synchronized (lock) {
                try {
                    if (!woken) {
                        lock.wait(conns.isEmpty() ? 0 : pollMs);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                woken = false;
                if (conns.isEmpty() || closed) {
                    continue;
                }
            }
            try {
                tail();
                failures = 0;
            } catch (RuntimeException e) {
                failures++;
                log.warn("event stream tail failed ({} in a row): {}", failures, e.toString());
                try {
                    Thread.sleep(Math.min(5_000, 100L << Math.min(failures, 6)));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Reads every complete bucket after the tailer's position and hands it out. */
    private void tail() {
        while (true) {
            EventId from;
            synchronized (lock) {
                from = position;
            }
            if (from == null) {
                return;
            }
            EventLog.Page read = db.read(c -> eventLog.page(c, from, null, TAIL_PAGE));
            EventLog.Page page = new EventLog.Page(read.events().stream().map(redaction).toList(), read.position(),
                    read.more());
            synchronized (lock) {
                if (!from.equals(position)) {
                    continue; // everyone left and someone joined meanwhile: read from the new position
                }
                if (!page.events().isEmpty()) {
                    for (Conn conn : List.copyOf(conns)) {
                        if (!conn.offer(page.events(), bufferSize)) {
                            conns.remove(conn);
                        }
                    }
                }
                position = conns.isEmpty() ? null : page.position();
            }
            if (!page.more()) {
                return;
            }
        }
    }

    /** Ends every stream and the tailer. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            for (Conn c : conns) {
                c.queue.add(CLOSED);
            }
            conns.clear();
            lock.notifyAll();
            // Each stream writes its last line; then the HTTP server may stop (it would cut them short).
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (serving > 0 && System.nanoTime() < deadline) {
                try {
                    lock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        tailer.interrupt();
        try {
            tailer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Conn {
        final UUID projectId;
        final List<String> types;
        final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        Conn(UUID projectId, List<String> types) {
            this.projectId = projectId;
            this.types = types;
        }

        /** Queues the batch's events of this stream, all or none; false (and cut off) when they do not fit. */
        boolean offer(List<Event> events, int capacity) {
            List<Event> mine = new ArrayList<>();
            for (Event e : events) {
                if (e.projectId().equals(projectId) && Event.matches(e.type(), types)) {
                    mine.add(e);
                }
            }
            if (mine.isEmpty()) {
                return true;
            }
            if (queue.size() + mine.size() > capacity) {
                queue.add(OVERFLOW);
                return false;
            }
            queue.addAll(mine);
            return true;
        }
    }
}
