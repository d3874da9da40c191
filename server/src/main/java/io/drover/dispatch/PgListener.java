package io.drover.dispatch;

import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one LISTEN connection of a node, outside the pool. Each notification on
 * {@code drover_runs} carries the queues that got ready runs; they are handed to {@code sink}.
 * When the connection breaks it reconnects with back-off; meanwhile the claimers' polling keeps
 * work moving, only a little later.
 */
public final class PgListener {
    private static final Logger log = LoggerFactory.getLogger(PgListener.class);
    private final Db db;
    private final Consumer<List<String>> sink;
    /** Other channels this connection listens to, and what each notification on them wakes. */
    private final java.util.Map<String, Consumer<String>> channels = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running;
    private volatile Connection connection;
    private Thread thread;

    public PgListener(Db db, Consumer<List<String>> sink) {
        this.db = db;
        this.sink = sink;
    }

    /**
     * Also listens to {@code channel}: {@code onNotify} runs (on the listener's thread: quickly) for
     * each of its notifications, and after each reconnect. Wiring time, before {@link #start}.
     */
    public void listen(String channel, Runnable onNotify) {
        channels.put(channel, payload -> onNotify.run());
    }

    /**
     * {@link #listen(String, Runnable)} for a channel whose payload matters: {@code onNotify} gets
     * each notification's payload, and {@code ""} after each reconnect (something may have been missed).
     */
    public void listen(String channel, Consumer<String> onNotify) {
        channels.put(channel, onNotify);
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().daemon().name("drover-listen").start(this::loop);
    }

    public void stop() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        closeQuietly();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        long backoff = 100;
        while (running) {
            try {
                connection = db.openDedicated();
                try (Statement s = connection.createStatement()) {
                    s.execute("LISTEN drover_runs");
                    for (String channel : channels.keySet()) {
                        s.execute("LISTEN " + channel);
                    }
                }
                backoff = 100;
                sink.accept(List.of()); // something may have been missed while not listening
                channels.values().forEach(c -> c.accept(""));
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notes = pg.getNotifications(1_000);
                    if (notes == null) {
                        continue;
                    }
                    for (PGNotification n : notes) {
                        Consumer<String> other = channels.get(n.getName());
                        if (other != null) {
                            other.accept(n.getParameter());
                        } else {
                            sink.accept(Arrays.asList(n.getParameter().split(",")));
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    log.warn("LISTEN connection lost ({}); reconnecting in {} ms", e.getMessage(), backoff);
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 5_000);
                }
            } finally {
                closeQuietly();
            }
        }
    }

    private void closeQuietly() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
