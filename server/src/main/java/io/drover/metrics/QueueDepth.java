package io.drover.metrics;

import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live runs by queue and status ({@code drover_queue_depth}), counted when metrics are scraped
 * and at most every few seconds, so a busy scraper cannot load the database.
 */
public final class QueueDepth {
    private static final Sql SQL = Sql.load("/sql/metrics.sql");
    private static final long MAX_AGE_MS = 5_000;
    private final Db db;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private volatile long refreshedAt;

    public QueueDepth(Db db, MeterRegistry registry) {
        this.db = db;
        this.registry = registry;
    }

    public synchronized void refreshIfStale() {
        long now = System.currentTimeMillis();
        if (now - refreshedAt < MAX_AGE_MS) {
            return;
        }
        refreshedAt = now;
        gauges.values().forEach(g -> g.set(0));
        db.read(c -> {
            try (Query q = SQL.prepare(c, "queue_depth"); ResultSet rs = q.query()) {
                while (rs.next()) {
                    gauge(rs.getString(1), rs.getString(2)).set(rs.getLong(3));
                }
            }
            return null;
        });
    }

    private AtomicLong gauge(String queue, String status) {
        return gauges.computeIfAbsent(queue + "\u0000" + status, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("drover_queue_depth", value, AtomicLong::get)
                    .description("Runs by queue and status (live states and dead letter)")
                    .tags(Tags.of("queue", queue, "status", status))
                    .register(registry);
            return value;
        });
    }
}
