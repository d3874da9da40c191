package io.drover.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the benchmark database's busy backends are doing, sampled from pg_stat_activity every
 * {@code periodMs}: on CPU (no wait event), or waiting for a lock, for WAL to reach the disk, for a
 * client... The share of each state says where the database's time goes.
 */
final class WaitSampler implements AutoCloseable {
    private final Thread thread;
    private final Map<String, Integer> counts = new TreeMap<>();
    private volatile boolean running = true;
    private int samples;

    WaitSampler(Harness h, String database, long periodMs) {
        thread = Thread.ofPlatform().daemon().name("bench-wait-sampler").start(() -> {
            try (Connection c = h.admin(); PreparedStatement ps = c.prepareStatement("""
                    SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait event)')
                    FROM pg_stat_activity
                    WHERE datname = ? AND state = 'active' AND pid <> pg_backend_pid()""")) {
                ps.setString(1, database);
                while (running) {
                    try (ResultSet rs = ps.executeQuery()) {
                        synchronized (counts) {
                            samples++;
                            while (rs.next()) {
                                counts.merge(rs.getString(1), 1, Integer::sum);
                            }
                        }
                    }
                    Thread.sleep(periodMs);
                }
            } catch (SQLException | InterruptedException e) {
                // the sampler is an aid; the benchmark goes on without it
            }
        });
    }

    /** Average number of active backends in each state, largest first. */
    Map<String, Double> averages() {
        Map<String, Double> out = new LinkedHashMap<>();
        synchronized (counts) {
            int n = Math.max(1, samples);
            counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                    .forEach(e -> out.put(e.getKey(), e.getValue() / (double) n));
        }
        return out;
    }

    static String describe(Map<String, Double> averages) {
        StringBuilder sb = new StringBuilder();
        averages.forEach((k, v) -> {
            if (v >= 0.005) {
                sb.append(sb.isEmpty() ? "" : ", ").append(String.format("%s %.2f", k, v));
            }
        });
        return sb.isEmpty() ? "none active" : sb.toString();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(2_000);
    }
}
