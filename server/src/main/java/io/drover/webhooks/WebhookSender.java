package io.drover.webhooks;

import io.drover.maintenance.Service;
import io.drover.outbound.OutboundClients;
import io.drover.outbound.OutboundGuard;
import io.drover.outbound.OutboundRefusedException;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
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
import java.util.concurrent.Semaphore;
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
 * Sends due deliveries (every node). {@code take_due} locks due pending rows with
 * {@code FOR UPDATE SKIP LOCKED}, counts the attempt and leases each row to this sender (its
 * {@code next_attempt_at} moves to the lease's end, so a sender that dies leaves rows that are due
 * again when the lease runs out). A row is not taken while an earlier delivery of the same run to
 * the same webhook is pending: one run's events reach one webhook in order.
 *
 * <p>Each delivery is POSTed on a virtual thread through Jetty's client, whose address resolver is
 * the {@link OutboundGuard} (the URL's name is looked up once, checked, and connected to as
 * checked), with the Standard Webhooks headers: {@code webhook-id} (the event id, the same on
 * every attempt), {@code webhook-timestamp} and {@code webhook-signature} (one signature per
 * secret that signs: two during a rotation's grace window). 2xx: {@code succeeded}. Anything else,
 * a time-out or a connection error: retried after {@code backoffMs * 2^(attempts-1)} plus up to a
 * quarter more at random, and {@code dead} after {@code maxAttempts} (the {@link DeadHook} is told,
 * in the transaction that marks it).
 */
public final class WebhookSender extends Service {
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    /** How long one request may take, connection included. */
    public static final long REQUEST_TIMEOUT_MS = 15_000;
    /** The longest retry delay, whatever the attempt. */
    static final long MAX_DELAY_MS = 86_400_000L;
    private static final int MAX_ERROR = 500;

    /** Told of a delivery that gave up, inside the transaction that marks it dead. */
    @FunctionalInterface
    public interface DeadHook {
        void dead(Connection c, Dead delivery) throws SQLException;
    }

    /** A delivery that gave up. */
    public record Dead(UUID id, UUID projectId, UUID webhookId, String eventId, String eventType, UUID runId,
            int attempts, Integer lastStatusCode, String lastError) {}

    /** A delivery taken for one attempt ({@code attempts} counts it). Secrets are sealed. */
    record Taken(UUID id, UUID projectId, UUID webhookId, String eventId, String eventType, UUID runId,
            String payload, int attempts, String url, byte[] secret, byte[] previousSecret) {}

    private final Db db;
    private final WebhookStore store;
    private final InstantSource clock;
    private final String owner;
    private final Semaphore slots;
    private final int concurrency;
    private final long backoffMs;
    private final int maxAttempts;
    private final long requestTimeoutMs;
    private final long leaseMs;
    private final long pollMs;
    private final HttpClient client;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** Successes waiting to be written; whoever holds {@link #flushLock} writes all of them at once. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Done> done = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.locks.ReentrantLock flushLock = new java.util.concurrent.locks.ReentrantLock();

    private record Done(UUID id, int attempts, int code) {}
    private volatile OutboundGuard outbound = OutboundGuard.publicOnly();
    private volatile DeadHook deadHook = (c, d) -> log.warn("webhook delivery {} (event {}, webhook {}) is dead after "
            + "{} attempts: {}", d.id(), d.eventId(), d.webhookId(), d.attempts(), d.lastError());

    public WebhookSender(Db db, WebhookStore store, InstantSource clock, String owner, int concurrency,
            long backoffMs, int maxAttempts, int connectTimeoutMs, long requestTimeoutMs, long leaseMs, long pollMs) {
        super("webhook-sender");
        this.db = db;
        this.store = store;
        this.clock = clock;
        this.owner = owner;
        this.concurrency = concurrency;
        this.slots = new Semaphore(concurrency);
        this.backoffMs = backoffMs;
        this.maxAttempts = maxAttempts;
        this.requestTimeoutMs = requestTimeoutMs;
        this.leaseMs = leaseMs;
        this.pollMs = pollMs;
        this.client = OutboundClients.start("webhook-http", connectTimeoutMs, requestTimeoutMs + 5_000L, concurrency,
                () -> outbound);
    }

    public WebhookSender withOutbound(OutboundGuard guard) {
        this.outbound = guard;
        return this;
    }

    /** Who hears of dead deliveries (the coordinator wires the event log's {@code webhook.dead}). */
    public WebhookSender withDeadHook(DeadHook hook) {
        this.deadHook = hook;
        return this;
    }

    @Override
    public void runOnce() throws InterruptedException {
        for (;;) {
            int free = slots.availablePermits();
            if (free == 0 || (free < concurrency && free < Math.max(1, concurrency / 4))) {
                return; // a finishing send wakes us; while sends are in flight, take in chunks, not one by one
            }
            int want = Math.min(free, 100);
            List<Taken> taken = take(want);
            for (Taken t : taken) {
                slots.acquire();
                executor.execute(() -> {
                    try {
                        send(t);
                    } catch (RuntimeException e) {
                        log.error("webhook delivery {} failed unexpectedly", t.id(), e);
                    } finally {
                        slots.release();
                        wake();
                    }
                });
            }
            if (taken.size() < want) {
                return;
            }
        }
    }

    @Override
    protected long nextWaitMs() {
        Instant next = db.read(c -> {
            try (Query q = WebhookStore.SQL.prepare(c, "next_due"); ResultSet rs = q.query()) {
                rs.next();
                return Webhook.instant(rs, 1);
            }
        });
        if (next == null) {
            return pollMs;
        }
        long until = Duration.between(clock.instant(), next).toMillis();
        // A due delivery that was not taken is held by a lease, waits behind an earlier one of its
        // run, or waits for a free slot: a finished send wakes the loop, so do not spin on it.
        return until <= 0 ? pollMs : Math.max(5, Math.min(pollMs, until));
    }

    /** Takes up to {@code max} due deliveries for one attempt each, leased to this sender. */
    List<Taken> take(int max) {
        return db.tx(c -> {
            try (Query q = WebhookStore.SQL.prepare(c, "take_due")) {
                q.set("now", SqlTime.now(clock)).set("batch", max).set("owner", owner).set("lease_ms", leaseMs);
                List<Taken> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(new Taken(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                rs.getObject(3, UUID.class), rs.getString(4), rs.getString(5),
                                rs.getObject(6, UUID.class), rs.getString(7), rs.getInt(8), rs.getString(9),
                                rs.getBytes(10), rs.getBytes(11)));
                    }
                }
                return out;
            }
        });
    }

    /** One attempt of one taken delivery, and its outcome written. */
    void send(Taken t) {
        byte[] body = t.payload().getBytes(StandardCharsets.UTF_8);
        long timestamp = clock.instant().getEpochSecond();
        String signature;
        try {
            signature = Signatures.header(t.eventId(), timestamp, body, store.open(t.webhookId(), t.secret()),
                    store.open(t.webhookId(), t.previousSecret()));
        } catch (RuntimeException e) {
            failed(t, null, "cannot sign: " + e.getMessage());
            return;
        }
        Request request;
        try {
            request = client.newRequest(URI.create(t.url()))
                    .method(HttpMethod.POST)
                    .timeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                    .headers(h -> {
                        h.put("User-Agent", "drover-webhooks/1");
                        h.put("webhook-id", t.eventId());
                        h.put("webhook-timestamp", Long.toString(timestamp));
                        h.put("webhook-signature", signature);
                    })
                    .body(new BytesRequestContent("application/json", body));
        } catch (IllegalArgumentException e) {
            failed(t, null, "the url cannot be used: " + e.getMessage());
            return;
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        request.send(done::complete); // the answer's body is read and dropped: only its status counts
        Result result;
        try {
            result = done.get();
        } catch (InterruptedException e) {
            // shutdown cut the request short: give the delivery back, due at once, attempt not counted
            request.abort(e);
            update(t, "give_back", null, null, 0);
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            failed(t, null, describe(e.getCause()));
            return;
        }
        if (result.isFailed() && (result.getResponse() == null || result.getResponse().getStatus() <= 0
                || result.getRequestFailure() != null)) {
            failed(t, null, describe(result.getFailure()));
            return;
        }
        int status = result.getResponse().getStatus();
        if (status >= 200 && status < 300) {
            succeeded(t, status);
        } else {
            failed(t, status, "answered " + status);
        }
    }

    /**
     * Records a success. Under load many sends finish at once: each queues its success and the one
     * that gets the lock writes every queued success in one statement (the others find theirs written).
     */
    private void succeeded(Taken t, int status) {
        done.add(new Done(t.id(), t.attempts(), status));
        flushLock.lock();
        try {
            List<Done> batch = new ArrayList<>();
            for (Done d; (d = done.poll()) != null; ) {
                batch.add(d);
            }
            if (batch.isEmpty()) {
                return; // written by the previous holder
            }
            db.tx(c -> {
                try (Query q = WebhookStore.SQL.prepare(c, "succeeded_batch")) {
                    q.setArray("ids", "uuid", batch.stream().map(Done::id).toArray())
                            .setArray("attempts", "int4", batch.stream().map(Done::attempts).toArray())
                            .setArray("codes", "int4", batch.stream().map(Done::code).toArray())
                            .set("owner", owner).set("now", SqlTime.now(clock));
                    return q.update();
                }
            });
        } catch (RuntimeException e) {
            // the leases run out and the deliveries are sent again: at least once
            log.warn("webhook deliveries: could not record {} successes: {}", t.id(), e.toString());
        } finally {
            flushLock.unlock();
        }
    }

    private static String describe(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            if (x instanceof OutboundRefusedException refused) {
                return "outbound_refused: " + refused.getMessage();
            }
            if (x instanceof TimeoutException || x instanceof java.net.SocketTimeoutException) {
                return "timeout: no answer within " + REQUEST_TIMEOUT_MS / 1000 + " s";
            }
        }
        String m = e == null ? "unknown error" : e.getClass().getSimpleName() + ": " + e.getMessage();
        return m.length() > MAX_ERROR ? m.substring(0, MAX_ERROR) : m;
    }

    /** A failed attempt: retried after the backoff, or dead after the last one. */
    private void failed(Taken t, Integer code, String error) {
        String safe = error.replace('\0', '\uFFFD');
        if (t.attempts() >= maxAttempts) {
            db.tx(c -> {
                try (Query q = WebhookStore.SQL.prepare(c, "dead")) {
                    q.set("id", t.id()).set("owner", owner).set("attempts", t.attempts()).set("code", code)
                            .set("error", safe).set("now", SqlTime.now(clock));
                    try (ResultSet rs = q.query()) {
                        if (rs.next()) {
                            deadHook.dead(c, new Dead(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                    rs.getObject(3, UUID.class), rs.getString(4), rs.getString(5),
                                    rs.getObject(6, UUID.class), rs.getInt(7), (Integer) rs.getObject(8),
                                    rs.getString(9)));
                        }
                    }
                }
                return null;
            });
        } else {
            update(t, "retry", code, safe, delayMs(backoffMs, t.attempts()));
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

    private boolean update(Taken t, String statement, Integer code, String error, long delayMs) {
        try {
            return db.tx(c -> {
                try (Query q = WebhookStore.SQL.prepare(c, statement)) {
                    q.set("id", t.id()).set("owner", owner).set("attempts", t.attempts()).set("now", SqlTime.now(clock));
                    if (!statement.equals("give_back")) {
                        q.set("code", code);
                    }
                    if (statement.equals("retry")) {
                        q.set("error", error).set("delay_ms", delayMs);
                        try (ResultSet rs = q.query()) {
                            rs.next();
                            return rs.getLong(1) == 1;
                        }
                    }
                    return q.update() == 1;
                }
            });
        } catch (RuntimeException e) {
            // the lease runs out and the delivery is sent again: at least once
            log.warn("webhook delivery {}: could not record the outcome: {}", t.id(), e.toString());
            return false;
        }
    }

    /** Stops taking deliveries, lets sends in flight finish within {@code grace}, gives back the rest. */
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
            log.warn("webhook HTTP client did not stop cleanly: {}", e.toString());
        }
    }

    public int concurrency() {
        return concurrency;
    }
}
