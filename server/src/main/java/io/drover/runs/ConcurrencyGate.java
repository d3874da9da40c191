package io.drover.runs;

import io.drover.store.Query;
import io.drover.store.Statement;
import java.sql.Connection;
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
    private static final Statement LOCK = RunSql.SQL.statement("admission_lock");
    private static final Statement LIMITS = RunSql.SQL.statement("admission_limits");
    private static final Statement LIVE = RunSql.SQL.statement("admission_live");
    private static final Statement PENDING = RunSql.SQL.statement("admission_candidates");
    private static final Statement ADMIT = RunSql.SQL.statement("admit");

    private ConcurrencyGate() {}

    /**
     * Admits what fits; returns the queues that got newly admitted runs (to wake claimers), with
     * {@link RunStore#PUSH_QUEUE} standing for http runs.
     */
    public static Set<String> admit(Connection c, UUID jobId) throws SQLException {
        try (Query q = LOCK.prepare(c)) {
            q.set("job_id", jobId.toString()).execute();
        }
        Integer jobLimit = null;
        Integer keyLimit = null;
        try (Query q = LIMITS.prepare(c)) {
            q.set("job_id", jobId);
            try (ResultSet rs = q.query()) {
                if (rs.next()) {
                    jobLimit = (Integer) rs.getObject(1);
                    keyLimit = (Integer) rs.getObject(2);
                }
            }
        }
        Map<String, Integer> liveByKey = new HashMap<>();
        int live = 0;
        try (Query q = LIVE.prepare(c)) {
            q.set("job_id", jobId);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    liveByKey.put(rs.getString(1), rs.getInt(2));
                    live += rs.getInt(2);
                }
            }
        }
        List<UUID> admit = new ArrayList<>();
        Set<String> queues = new HashSet<>();
        try (Query q = PENDING.prepare(c)) {
            q.set("job_id", jobId).set("limit", CANDIDATES);
            try (ResultSet rs = q.query()) {
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
            try (Query q = ADMIT.prepare(c)) {
                q.setArray("run_ids", "uuid", admit.toArray()).update();
            }
        }
        return queues;
    }
}
