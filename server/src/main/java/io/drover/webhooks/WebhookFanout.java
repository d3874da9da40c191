package io.drover.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.eventlog.Event;
import io.drover.eventlog.EventReader;
import io.drover.http.Json;
import io.drover.maintenance.Service;
import io.drover.redact.Redactions;
import io.drover.redact.Redactor;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns committed events into deliveries, on one node at a time. Each pass is one transaction:
 * take the advisory lock (another node holding it skips), lock the one-row cursor, read up to
 * {@link #BATCH} events after it ({@link EventReader#after} on the same connection), insert one
 * delivery per (event, enabled webhook of the event's project whose {@code event_types} match),
 * and move the cursor to the last event read. The deliveries and the cursor commit together, so a
 * crash at any point neither loses an event nor turns one into deliveries twice.
 *
 * <p>Payloads are redacted here, with the project's rules, before they are stored: a delivery
 * never holds what an outlet would not show. Woken by {@link EventReader#onNewEvents} and, as a
 * fallback, every poll interval; a full batch goes straight on to the next.
 */
public final class WebhookFanout extends Service {
    private static final Logger log = LoggerFactory.getLogger(WebhookFanout.class);
    /** pg_advisory_xact_lock key of the fan-out ("drovwhfo"). */
    static final long LOCK_KEY = 0x6472_6f76_7768_666fL;
    public static final int BATCH = 1000;
    /** The type of the event told when a delivery gives up (API.md). */
    public static final String DEAD = "webhook.dead";

    private final Db db;
    private final EventReader reader;
    private final Redactions redactions;
    private final InstantSource clock;
    private final long pollMs;
    private volatile Runnable onDeliveries = () -> {};

    public WebhookFanout(Db db, EventReader reader, Redactions redactions, InstantSource clock, long pollMs) {
        super("webhook-fanout");
        this.db = db;
        this.reader = reader;
        this.redactions = redactions;
        this.clock = clock;
        this.pollMs = pollMs;
        reader.onNewEvents(this::wake);
    }

    /** Called after a pass committed new deliveries (wiring: wakes the sender). */
    public WebhookFanout onDeliveries(Runnable r) {
        this.onDeliveries = r;
        return this;
    }

    @Override
    public void runOnce() {
        int n;
        do {
            n = pass();
        } while (n >= BATCH);
    }

    @Override
    protected long nextWaitMs() {
        return pollMs;
    }

    /** One transaction; the number of events read (0 when another node holds the lock). */
    int pass() {
        int[] made = new int[1];
        int read = db.tx(c -> {
            try (Query q = WebhookStore.SQL.prepare(c, "try_singleton_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return 0;
                    }
                }
            }
            String cursor;
            try (Query q = WebhookStore.SQL.prepare(c, "lock_cursor")) {
                try (ResultSet rs = q.query()) {
                    rs.next();
                    cursor = rs.getString(1);
                }
            }
            // Nobody to deliver to: skip the events instead of reading them. The head is read before the
            // check, so every event it covers committed before a webhook the check does not see existed.
            String head = reader.headCursor(c);
            if (head != null && !anyEnabled(c)) {
                if (cursor == null || head.compareTo(cursor) > 0) {
                    try (Query q = WebhookStore.SQL.prepare(c, "move_cursor")) {
                        q.set("cursor", head);
                        q.update();
                    }
                }
                return 0;
            }
            List<Event> events = reader.after(c, cursor, null, BATCH);
            if (events.isEmpty()) {
                return 0;
            }
            made[0] = insert(c, events);
            try (Query q = WebhookStore.SQL.prepare(c, "move_cursor")) {
                q.set("cursor", events.get(events.size() - 1).id());
                q.update();
            }
            return events.size();
        });
        if (made[0] > 0) {
            log.debug("webhook fan-out: {} events, {} deliveries", read, made[0]);
            onDeliveries.run();
        }
        return read;
    }

    private static boolean anyEnabled(Connection c) throws SQLException {
        try (Query q = WebhookStore.SQL.prepare(c, "any_enabled_webhook"); ResultSet rs = q.query()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private record Target(UUID id, List<String> eventTypes) {}

    private int insert(Connection c, List<Event> events) throws SQLException {
        Set<UUID> projects = new LinkedHashSet<>();
        events.forEach(e -> projects.add(e.projectId()));
        Map<UUID, List<Target>> hooks = new HashMap<>();
        try (Query q = WebhookStore.SQL.prepare(c, "enabled_webhooks")) {
            q.setArray("project_ids", "uuid", projects.toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    hooks.computeIfAbsent(rs.getObject(2, UUID.class), k -> new ArrayList<>())
                            .add(new Target(rs.getObject(1, UUID.class), Webhook.strings(rs.getArray(3))));
                }
            }
        }
        if (hooks.isEmpty()) {
            return 0;
        }
        List<UUID> ids = new ArrayList<>();
        List<UUID> projectIds = new ArrayList<>();
        List<UUID> webhookIds = new ArrayList<>();
        List<String> eventIds = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<UUID> runIds = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        Map<UUID, Redactor> redactors = new HashMap<>();
        for (Event e : events) {
            List<Target> targets = hooks.getOrDefault(e.projectId(), List.of());
            String payload = null;
            for (Target t : targets) {
                if (!Event.matches(e.type(), t.eventTypes()) || aboutItself(e, t.id())) {
                    continue;
                }
                if (payload == null) {
                    Redactor r = redactors.get(e.projectId());
                    if (r == null) {
                        r = redactions.forProject(c, e.projectId());
                        redactors.put(e.projectId(), r);
                    }
                    payload = Json.write(body(e, r));
                }
                ids.add(UuidV7.next());
                projectIds.add(e.projectId());
                webhookIds.add(t.id());
                eventIds.add(e.id());
                types.add(e.type());
                runIds.add(e.runId());
                payloads.add(payload);
            }
        }
        if (ids.isEmpty()) {
            return 0;
        }
        try (Query q = WebhookStore.SQL.prepare(c, "insert_deliveries")) {
            q.setArray("ids", "uuid", ids.toArray()).setArray("project_ids", "uuid", projectIds.toArray())
                    .setArray("webhook_ids", "uuid", webhookIds.toArray())
                    .setArray("event_ids", "text", eventIds.toArray())
                    .setArray("event_types", "text", types.toArray())
                    .setArray("run_ids", "uuid", runIds.toArray())
                    .setArray("payloads", "text", payloads.toArray())
                    .set("now", SqlTime.now(clock));
            return q.update();
        }
    }

    /**
     * A {@code webhook.dead} event is not sent to the webhook whose delivery died: it would most
     * likely die too, and tell of itself again, without end.
     */
    static boolean aboutItself(Event e, UUID webhookId) {
        return DEAD.equals(e.type()) && e.data() != null && e.data().path("webhook_id").asText("")
                .equals(webhookId.toString());
    }

    /** The body every webhook receives: {@code {"type", "timestamp", "data"}}, data redacted. */
    static ObjectNode body(Event e, Redactor r) {
        ObjectNode n = Json.object();
        n.put("type", e.type());
        n.put("timestamp", e.occurredAt().toString());
        n.set("data", e.data() == null ? Json.object() : r.redact(e.data()));
        return n;
    }
}
