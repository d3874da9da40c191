package io.drover.runs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Admission for jobs with {@code max_concurrency} or {@code max_concurrency_per_key}. Runs of such
 * jobs are queued with {@code admitted = false} and the claim only sees admitted runs, so the
 * claim stays one plain statement. {@link #admit} runs in the same transaction as whatever may
 * free or need a slot (trigger, completion, failure, cancel, promotion), serialized per job by a
 * transaction-scoped advisory lock, and admits queued runs in priority order while
 * (admitted + active) stays within both limits.
 */
public final class ConcurrencyGate {
    private static final int CANDIDATES = 500;

    private ConcurrencyGate() {}

    /**
     * Admits what fits; returns the queues that got newly admitted runs (to wake claimers), with
     * {@link RunStore#PUSH_QUEUE} standing for http runs.
     */
    public static Set<String> admit(Connection c, UUID jobId) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 7))")) {
            lock.setString(1, jobId.toString());
            lock.execute();
        }
        Integer jobLimit = null;
        Integer keyLimit = null;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT (spec->>'max_concurrency')::int, (spec->>'max_concurrency_per_key')::int
                FROM jobs WHERE id = ?""")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    jobLimit = (Integer) rs.getObject(1);
                    keyLimit = (Integer) rs.getObject(2);
                }
            }
        }
        Map<String, Integer> liveByKey = new HashMap<>();
        int live = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT coalesce(concurrency_key, ''), count(*) FROM runs
                WHERE job_id = ? AND limited AND status IN ('queued', 'dequeued', 'executing', 'waiting')
                  AND (admitted OR status <> 'queued')
                GROUP BY 1""")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    liveByKey.put(rs.getString(1), rs.getInt(2));
                    live += rs.getInt(2);
                }
            }
        }
        List<UUID> admit = new ArrayList<>();
        Set<String> queues = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id, coalesce(concurrency_key, ''), queue, execution FROM runs
                WHERE job_id = ? AND limited AND status = 'queued' AND NOT admitted
                ORDER BY priority DESC, id
                LIMIT ?""")) {
            ps.setObject(1, jobId);
            ps.setInt(2, CANDIDATES);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && (jobLimit == null || live < jobLimit)) {
                    String key = rs.getString(2);
                    int forKey = liveByKey.getOrDefault(key, 0);
                    if (keyLimit != null && forKey >= keyLimit) {
                        continue;
                    }
                    admit.add(rs.getObject(1, UUID.class));
                    // http runs wake the push dispatcher, worker runs the claimers of their queue
                    queues.add("http".equals(rs.getString(4)) ? RunStore.PUSH_QUEUE : rs.getString(3));
                    liveByKey.put(key, forKey + 1);
                    live++;
                }
            }
        }
        if (!admit.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE runs SET admitted = true WHERE id = ANY(?)")) {
                ps.setArray(1, c.createArrayOf("uuid", admit.toArray()));
                ps.executeUpdate();
            }
        }
        return queues;
    }
}
