package io.drover.drains;

import io.drover.eventlog.Event;
import io.drover.eventlog.EventId;
import io.drover.eventlog.EventLog;
import io.drover.eventlog.EventWrites;
import io.drover.http.Json;
import io.drover.maintenance.Service;
import io.drover.outbound.OutboundClients;
import io.drover.outbound.OutboundGuard;
import io.drover.outbound.OutboundRefusedException;
import io.drover.redact.Redactions;
import io.drover.redact.Redactor;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import io.drover.webhooks.Signatures;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends log drains their events, on one node at a time (a pass takes {@code pg_try_advisory_xact_lock};
 * a node that does not get it skips). Each drain has its own cursor in the event log. A pass, in
 * one transaction, picks the due drains ({@code FOR UPDATE SKIP LOCKED}), reads each one's next
 * events of its project, keeps those its {@code event_types} match, fixes where the batch ends
 * ({@code batch_end}), counts the attempt and leases the drain; then, outside the transaction, the
 * batches are POSTed at once, one per drain, as NDJSON (one event {@code {id, type, occurred_at,
 * project_id, data}} per line, data redacted with the project's rules), signed with the Standard
 * Webhooks headers ({@code webhook-id} is {@code <first event id>..<last event id>}: every attempt
 * of a batch sends the same events under the same id).
 *
 * <p>A batch goes out when it holds {@link #batchSize} events or its oldest event is
 * {@link #lingerMs} old. The cursor moves past a batch only after a 2xx answer, so a crash at any
 * point sends a batch again rather than losing it. Anything else is retried after the backoff
 * (doubling, with jitter), and after {@code maxAttempts} the batch is dead: recorded in
 * {@code log_drain_batches}, told as a {@code log_drain.dead} event, and passed over. Destinations
 * go through the {@link OutboundGuard} at each lookup.
 */
public final class LogDrainSender extends Service {
    private static final Logger log = LoggerFactory.getLogger(LogDrainSender.class);
    /** pg_advisory_xact_lock key of the drain pass ("drovldrn"). */
    static final long LOCK_KEY = 0x6472_6f76_6c64_726eL;
    /** The type of the event told when a batch gives up. */
    public static final String DEAD = "log_drain.dead";
    /** Drains per pass. */
    static final int DRAINS_PER_PASS = 100;
    private static final long MAX_DELAY_MS = 86_400_000L;
    private static final int MAX_ERROR = 500;

    private final Db db;
    private final LogDrainStore store;
    private final EventLog events;
    private final Redactions redactions;
    private final InstantSource clock;
    private final String owner;
    private final long backoffMs;
    private final int maxAttempts;
    private final long requestTimeoutMs;
    private final long leaseMs;
    private final long pollMs;
    private final HttpClient client;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile OutboundGuard outbound = OutboundGuard.publicOnly();
    private volatile int batchSize = 500;
    private volatile long lingerMs = 1_000;
    /** When the oldest lingering batch is due (null: none lingers). */
    private volatile Instant lingerUntil;

    /** One attempt of one batch, taken and leased. */
    record Work(UUID drainId, UUID projectId, String url, byte[] secret, int attempts, String webhookId,
            String firstEventId, String lastEventId, int count, byte[] body) {}

    public LogDrainSender(Db db, LogDrainStore store, EventLog events, Redactions redactions, InstantSource clock,
            String owner, long backoffMs, int maxAttempts, int connectTimeoutMs, long requestTimeoutMs, long pollMs) {
        super("log-drains");
        this.db = db;
        this.store = store;
        this.events = events;
        this.redactions = redactions;
        this.clock = clock;
        this.owner = owner;
        this.backoffMs = backoffMs;
        this.maxAttempts = maxAttempts;
        this.requestTimeoutMs = requestTimeoutMs;
        this.leaseMs = requestTimeoutMs + 30_000;
        this.pollMs = pollMs;
        this.client = OutboundClients.start("log-drain-http", connectTimeoutMs, requestTimeoutMs + 5_000L, 64,
                () -> outbound);
        events.onNewEvents(this::wake);
    }

    public LogDrainSender withOutbound(OutboundGuard guard) {
        this.outbound = guard;
        return this;
    }

    /** How many events a batch holds at most, and how long a batch that is not full waits for more. */
    public LogDrainSender batching(int size, long lingerMs) {
        if (size < 1 || lingerMs < 0) {
            throw new IllegalArgumentException("batch size " + size + ", linger " + lingerMs + " ms");
        }
        this.batchSize = size;
        this.lingerMs = lingerMs;
        return this;
    }

    @Override
    public void runOnce() throws InterruptedException {
        for (int round = 0; round < 1_000; round++) {
            List<Work> work = take();
            if (work.isEmpty()) {
                return;
            }
            List<Future<?>> sends = new ArrayList<>();
            for (Work w : work) {
                sends.add(executor.submit(() -> send(w)));
            }
            for (Future<?> f : sends) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    log.error("log drain send failed unexpectedly", e.getCause());
                }
            }
        }
    }

    @Override
    protected long nextWaitMs() {
        Instant next = db.read(c -> {
            try (Query q = LogDrainStore.SQL.prepare(c, "next_due"); ResultSet rs = q.query()) {
                rs.next();
                return LogDrain.instant(rs, 1);
            }
        });
        Instant now = clock.instant();
        long wait = pollMs;
        if (next != null && next.isAfter(now)) {
            wait = Math.min(wait, Duration.between(now, next).toMillis());
        }
        Instant linger = lingerUntil;
        if (linger != null) {
            wait = Math.min(wait, Math.max(0, Duration.between(now, linger).toMillis()));
        }
        return Math.max(5, wait);
    }

    /** One transaction: the due drains' next batches, each leased for one attempt (empty without the lock). */
    List<Work> take() {
        lingerUntil = null;
        return db.tx(c -> {
            try (Query q = LogDrainStore.SQL.prepare(c, "try_singleton_lock")) {
                q.set("key", LOCK_KEY);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return List.of();
                    }
                }
            }
            record Due(UUID id, UUID projectId, String url, List<String> types, String cursor, String batchEnd,
                    byte[] secret) {}
            List<Due> due = new ArrayList<>();
            try (Query q = LogDrainStore.SQL.prepare(c, "due_drains")) {
                q.set("now", SqlTime.now(clock)).set("limit", DRAINS_PER_PASS);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        due.add(new Due(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                                LogDrain.strings(rs.getArray(4)), rs.getString(5), rs.getString(6), rs.getBytes(8)));
                    }
                }
            }
            List<Work> out = new ArrayList<>();
            for (Due d : due) {
                Work w = batch(c, d.id(), d.projectId(), d.url(), d.types(), d.cursor(), d.batchEnd(), d.secret());
                if (w != null) {
                    out.add(w);
                }
            }
            return out;
        });
    }

    /** The next batch of one drain, leased; null when it has nothing to send now. */
    private Work batch(Connection c, UUID id, UUID projectId, String url, List<String> types, String cursorText,
            String batchEndText, byte[] secret) throws SQLException {
        EventId cursor = EventId.parse(cursorText, "cursor");
        int size = batchSize;
        List<Event> batch;
        EventId end;
        if (batchEndText != null) {
            // a batch that failed before: the same events again, up to where it ended
            end = EventId.parse(batchEndText, "batch_end");
            batch = new ArrayList<>();
            for (Event e : events.page(c, cursor, projectId, size).events()) {
                if (EventId.parse(e.id(), "id").compareTo(end) <= 0 && wanted(e, types, id)) {
                    batch.add(e);
                }
            }
            if (batch.isEmpty()) {
                try (Query q = LogDrainStore.SQL.prepare(c, "skip_batch")) {
                    q.set("id", id).set("now", SqlTime.now(clock)).update();
                }
                return null;
            }
        } else {
            for (int reads = 0; ; reads++) {
                EventLog.Page page = events.page(c, cursor, projectId, size);
                batch = new ArrayList<>();
                for (Event e : page.events()) {
                    if (wanted(e, types, id)) {
                        batch.add(e);
                    }
                }
                if (batch.isEmpty()) {
                    if (page.position().compareTo(cursor) > 0) {
                        cursor = page.position();
                        try (Query q = LogDrainStore.SQL.prepare(c, "skip_to")) {
                            q.set("id", id).set("cursor", cursor.toString()).update();
                        }
                    }
                    if (page.more() && reads < 10) {
                        continue;
                    }
                    return null;
                }
                Instant due = batch.get(0).occurredAt().plusMillis(lingerMs);
                if (!page.more() && batch.size() < size && due.isAfter(clock.instant())) {
                    Instant l = lingerUntil;
                    lingerUntil = l == null || due.isBefore(l) ? due : l;
                    return null; // not full and not old enough: wait for more
                }
                end = page.position();
                break;
            }
        }
        int attempts;
        try (Query q = LogDrainStore.SQL.prepare(c, "lease")) {
            q.set("id", id).set("batch_end", end.toString()).set("owner", owner).set("lease_ms", leaseMs)
                    .set("now", SqlTime.now(clock));
            try (ResultSet rs = q.query()) {
                rs.next();
                attempts = rs.getInt(1);
            }
        }
        Redactor r = redactions.forProject(c, projectId);
        StringBuilder body = new StringBuilder();
        for (Event e : batch) {
            var line = EventLog.toJson(e);
            line.set("data", e.data() == null ? Json.object() : r.redact(e.data()));
            body.append(Json.write(line)).append('\n');
        }
        String first = batch.get(0).id();
        String last = batch.get(batch.size() - 1).id();
        return new Work(id, projectId, url, secret, attempts, first + ".." + last, first, last, batch.size(),
                body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a drain sends {@code e}: its filters match, and it is not the drain's own {@code log_drain.dead}. */
    static boolean wanted(Event e, List<String> types, UUID drainId) {
        if (!Event.matches(e.type(), types)) {
            return false;
        }
        return !(DEAD.equals(e.type()) && e.data() != null
                && e.data().path("drain_id").asText("").equals(drainId.toString()));
    }

    /** One attempt of one batch, and its outcome written. */
    void send(Work w) {
        long timestamp = clock.instant().getEpochSecond();
        String signature;
        try {
            signature = Signatures.header(w.webhookId(), timestamp, w.body(), store.open(w.drainId(), w.secret()));
        } catch (RuntimeException e) {
            failed(w, null, "cannot sign: " + e.getMessage());
            return;
        }
        Request request;
        try {
            request = client.newRequest(URI.create(w.url()))
                    .method(HttpMethod.POST)
                    .timeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                    .headers(h -> {
                        h.put("User-Agent", "drover-log-drains/1");
                        h.put("webhook-id", w.webhookId());
                        h.put("webhook-timestamp", Long.toString(timestamp));
                        h.put("webhook-signature", signature);
                    })
                    .body(new BytesRequestContent("application/x-ndjson", w.body()));
        } catch (IllegalArgumentException e) {
            failed(w, null, "the url cannot be used: " + e.getMessage());
            return;
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        request.send(done::complete); // the answer's body is read and dropped: only its status counts
        Result result;
        try {
            result = done.get();
        } catch (InterruptedException e) {
            request.abort(e); // shutdown cut the request short: due again at once, the attempt not counted
            write(w, "give_back", null, null, 0);
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            failed(w, null, describe(e.getCause()));
            return;
        }
        if (result.isFailed() && (result.getResponse() == null || result.getResponse().getStatus() <= 0
                || result.getRequestFailure() != null)) {
            failed(w, null, describe(result.getFailure()));
            return;
        }
        int status = result.getResponse().getStatus();
        if (status >= 200 && status < 300) {
            finish(w, "succeeded", status, null);
        } else {
            failed(w, status, "answered " + status);
        }
    }

    private void failed(Work w, Integer code, String error) {
        String safe = error.replace('\0', '\uFFFD');
        if (w.attempts() >= maxAttempts) {
            finish(w, "dead", code, safe);
        } else {
            write(w, "retry", code, safe, delayMs(backoffMs, w.attempts()));
        }
    }

    /** The batch is done: the cursor moves past it, the batch is recorded, and a dead one is an event. */
    private void finish(Work w, String status, Integer code, String error) {
        try {
            db.tx(c -> {
                try (Query q = LogDrainStore.SQL.prepare(c, "finish_batch")) {
                    q.set("id", w.drainId()).set("owner", owner).set("attempts", w.attempts()).set("code", code)
                            .set("error", error).set("sent", status.equals("succeeded"))
                            .set("now", SqlTime.now(clock));
                    try (ResultSet rs = q.query()) {
                        if (!rs.next()) {
                            return null; // the lease was lost (another node took the batch over): its outcome counts
                        }
                    }
                }
                try (Query q = LogDrainStore.SQL.prepare(c, "insert_batch")) {
                    q.set("id", UuidV7.next()).set("project_id", w.projectId()).set("drain_id", w.drainId())
                            .set("webhook_id", w.webhookId()).set("first_event_id", w.firstEventId())
                            .set("last_event_id", w.lastEventId()).set("events", w.count()).set("status", status)
                            .set("attempts", w.attempts()).set("code", code).set("error", error)
                            .set("now", SqlTime.now(clock)).update();
                }
                if (status.equals("dead")) {
                    log.warn("log drain {}: batch {} ({} events) is dead after {} attempts: {}", w.drainId(),
                            w.webhookId(), w.count(), w.attempts(), error);
                    EventWrites.insert(c, w.projectId(), DEAD, null, Json.object()
                            .put("drain_id", w.drainId().toString()).put("batch_id", w.webhookId())
                            .put("first_event_id", w.firstEventId()).put("last_event_id", w.lastEventId())
                            .put("events", w.count()).put("attempts", w.attempts()).put("last_status_code", code)
                            .put("last_error", error), SqlTime.now(clock));
                }
                return null;
            });
        } catch (RuntimeException e) {
            // the lease runs out and the batch is sent again: at least once
            log.warn("log drain {}: could not record the outcome of batch {}: {}", w.drainId(), w.webhookId(),
                    e.toString());
        }
    }

    private void write(Work w, String statement, Integer code, String error, long delayMs) {
        try {
            db.tx(c -> {
                try (Query q = LogDrainStore.SQL.prepare(c, statement)) {
                    q.set("id", w.drainId()).set("owner", owner).set("attempts", w.attempts())
                            .set("now", SqlTime.now(clock));
                    if (statement.equals("retry")) {
                        q.set("code", code).set("error", error).set("delay_ms", delayMs);
                    }
                    return q.update();
                }
            });
        } catch (RuntimeException e) {
            log.warn("log drain {}: could not record the outcome of batch {}: {}", w.drainId(), w.webhookId(),
                    e.toString());
        }
    }

    /** The delay after failed attempt {@code attempts} (1-based): doubling from {@code backoffMs}, plus jitter. */
    static long delayMs(long backoffMs, int attempts) {
        long base = backoffMs;
        for (int i = 1; i < attempts && base < MAX_DELAY_MS; i++) {
            base *= 2;
        }
        base = Math.min(base, MAX_DELAY_MS);
        return base + ThreadLocalRandom.current().nextLong(base / 4 + 1);
    }

    private String describe(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            if (x instanceof OutboundRefusedException refused) {
                return "outbound_refused: " + refused.getMessage();
            }
            if (x instanceof TimeoutException || x instanceof java.net.SocketTimeoutException) {
                return "timeout: no answer within " + requestTimeoutMs / 1000 + " s";
            }
        }
        String m = e == null ? "unknown error" : e.getClass().getSimpleName() + ": " + e.getMessage();
        return m.length() > MAX_ERROR ? m.substring(0, MAX_ERROR) : m;
    }

    /** Stops the loop, lets sends in flight finish within {@code grace}, gives back the rest. */
    public void shutdown(Duration grace) {
        stop();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            client.stop();
        } catch (Exception e) {
            log.warn("log drain HTTP client did not stop cleanly: {}", e.toString());
        }
    }
}
