package io.drover.runs;

import io.drover.store.SqlTime;
import io.drover.store.TxEffects;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where runs are claimed: a worker's claim (from this node's {@link ClaimCursors}), the push
 * dispatcher's take, and the heartbeats that keep a claim's lease. Each is one statement on the
 * queue pool, in auto-commit.
 */
final class RunClaims {
    private final RunStore store;

    RunClaims(RunStore store) {
        this.store = store;
    }

    /**
     * Claims up to {@code max} ready runs of the queues for a worker, of the jobs in {@code jobs}
     * (null: any job); each is now executing under a lease. A filtered claim has its own cursors, so
     * runs it skips stay visible to other claims.
     */
    List<Run> claim(UUID projectId, String workerId, List<String> queues, List<String> jobs, int max, long leaseMs) {
        return claimWithContext(projectId, workerId, queues, jobs, max, leaseMs).runs();
    }

    /**
     * As {@link #claim}, with the context of the claimed runs that have one (a checkpoint, an event
     * wait's outcome): read in a second statement only when the claim returned such a run, so a
     * claim of plain runs costs what it did.
     */
    RunStore.Claimed claimWithContext(UUID projectId, String workerId, List<String> queues, List<String> jobs, int max,
            long leaseMs) {
        int n = queues.size();
        ClaimCursors cursors = store.claimCursors();
        ClaimCursors.Start[] from = new ClaimCursors.Start[n];
        Integer[] priorities = new Integer[n];
        UUID[] floors = new UUID[n];
        for (int i = 0; i < n; i++) {
            from[i] = cursors.start(projectId, jobs, queues.get(i));
            priorities[i] = from[i].priority();
            floors[i] = from[i].id();
        }
        // The ids' clock (UuidV7), not the injected one: the floor is compared with ids made from now on.
        UUID firstNewId = ClaimCursors.firstIdAt(System.currentTimeMillis());
        Map<UUID, RunStore.ClaimContext> context = new java.util.HashMap<>();
        List<Run> claimed = store.hot().read(c -> {
            List<UUID> withContext = new java.util.ArrayList<>();
            List<Run> runs = RunSql.claim(c, new RunSql.ClaimParams(projectId, workerId, queues, jobs, priorities, floors,
                    max, leaseMs, SqlTime.now(store.clock())), withContext);
            if (!withContext.isEmpty()) {
                context.putAll(RunRecords.claimContext(c, withContext));
            }
            if (!runs.isEmpty()) {
                TxEffects fx = store.db().effects(c);
                fx.count(TxEffects.Count.CLAIMED, runs.size());
                for (Run r : runs) {
                    fx.startLatency(Duration.between(r.scheduledAt(), r.startedAt()));
                    fx.claimed(r.jobSlug(), r.queue());
                }
            }
            return runs;
        });
        moveCursors(cursors, projectId, jobs, queues, from, claimed, firstNewId);
        return new RunStore.Claimed(claimed, context);
    }

    /**
     * Each queue's next claim starts after the last run this one took of it (claimed comes in
     * claim order: per queue, a prefix of its walk). A queue it found empty starts at the ids made
     * from now on, but only when it was the only queue: with several, the LIMIT may have cut a
     * queue's runs for another's.
     */
    private static void moveCursors(ClaimCursors cursors, UUID projectId, List<String> jobs, List<String> queues,
            ClaimCursors.Start[] from, List<Run> claimed, UUID firstNewId) {
        for (int i = 0; i < queues.size(); i++) {
            String queue = queues.get(i);
            Run last = null;
            for (Run r : claimed) {
                if (r.queue().equals(queue)) {
                    last = r;
                }
            }
            if (last != null) {
                cursors.claimed(projectId, jobs, queue, from[i], last.priority(), last.id());
            } else if (queues.size() == 1) {
                cursors.foundNone(projectId, jobs, queue, from[i], firstNewId);
            }
        }
    }

    /** The push dispatcher takes up to {@code max} ready http runs (any project) into dequeued. */
    List<Run> takePush(String dispatcherId, int max, long leaseMs, List<String> held, List<String> only) {
        return store.hot().read(c -> {
            List<Run> taken = RunSql.takePush(c, dispatcherId, max, leaseMs, held, only, SqlTime.now(store.clock()));
            if (!taken.isEmpty()) {
                TxEffects fx = store.db().effects(c);
                fx.count(TxEffects.Count.CLAIMED, taken.size());
                Instant now = store.clock().instant();
                for (Run r : taken) {
                    fx.startLatency(Duration.between(r.scheduledAt(), now));
                    fx.claimed(r.jobSlug(), r.queue());
                }
            }
            return taken;
        });
    }

    /** Extends the leases of the runs this worker still executes; returns the new expiry per run. */
    Map<UUID, Instant> heartbeat(UUID projectId, String workerId, List<UUID> runIds, long leaseMs) {
        return store.hot().read(c -> RunSql.heartbeat(c, projectId, workerId, runIds, leaseMs));
    }
}
