package io.drover.runs;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Where this node's claims start walking each queue's ready runs (the {@code claim} statement).
 *
 * <p>A claim walks the index of ready runs in (priority DESC, id) order. The entries before the
 * runs it finds are mostly runs claimed already: VACUUM removes them, but while any transaction
 * holds back the xmin horizon it cannot, and a walk from the start then visits each of them in
 * the heap, on every claim. With 50,000 such entries a claim took 11-20 ms instead of 0.6 ms.
 * So each claim starts where this node's last claim of the queue ended: at the cursor
 * (priority, id) of the last run it claimed, or, when it found the queue empty, at the first id
 * made after it began.
 *
 * <p>A run can become ready behind a cursor; none may be passed over for long:
 * <ul>
 *   <li>New runs: a trigger's id order is not its commit order, so each trigger's NOTIFY (and
 *       the local wake-up) names its first id, {@code queue@id}, and the cursor is lowered to it
 *       ({@link #ready}).
 *   <li>Runs back in a queue (promotion of a delayed run or a retry, release, admission under a
 *       concurrency limit, a replay of a dead-lettered run) keep their old ids; their NOTIFY names
 *       the queue alone, and the cursor is dropped: the next claim walks from the start.
 *   <li>A drop while a claim runs wins: the claim leaves the cursor alone. A lowering while a
 *       claim runs is kept too: the claim moves the cursor to the lower of its own end and the
 *       ids of the triggers that committed meanwhile (a trigger every few milliseconds, under a
 *       held horizon, would otherwise keep every slow full walk from ever setting a cursor).
 *   <li>A claim passes runs that others hold locked (SKIP LOCKED): another node's claim, which
 *       usually takes them, but also rows a multi-queue claim locked and then left to its LIMIT,
 *       or a transaction that rolls back. Those runs are behind the cursor with no notice. So are
 *       runs whose notice was lost (the LISTEN connection was down: {@link #resetAll}). Hence a
 *       cursor is used for at most {@link #FULL_WALK_EVERY_NANOS} after the full walk it grew
 *       from, and a claim that began before a newer full walk ended does not move the cursor:
 *       such a run waits about that long at most.
 * </ul>
 * Higher and lower priorities than the cursor's are walked from their start (see the statement),
 * so a queue whose runs mix priorities gains less under a held horizon, and loses nothing. So does
 * a queue that a multi-queue claim finds empty: only single-queue claims move a cursor past an
 * empty queue's end (with several queues the LIMIT may have cut one queue for another).
 *
 * <p>A claim that names its jobs (the worker's handlers) walks past the runs of other jobs without
 * taking them, so its walk says nothing about those: it starts and moves a cursor of its own, kept
 * per project and job list, which the wake-ups lower and drop like every cursor of the queue. A
 * cursor past runs a filtered claim skipped would otherwise hide them from every other claim.
 */
public final class ClaimCursors {
    /** A cursor is trusted this long after the walk from the start that it grew from. */
    static final long FULL_WALK_EVERY_NANOS = 1_000_000_000L;

    /** The walk from the start: priorities are -1000..1000, so only the third branch has runs. */
    static final int START_PRIORITY = Integer.MAX_VALUE;
    static final UUID START_ID = new UUID(-1L, -1L);

    /** The lowerings a queue remembers; a claim that overlapped more leaves the cursor alone. */
    static final int RECENT_LOWERINGS = 64;

    /**
     * Where one claim of one queue begins, and what it needs to move the cursor afterwards: the
     * queue's state object (replaced when the map is cleared), its drop and lowering counts, and
     * the full walk the cursor grew from.
     */
    record Start(int priority, UUID id, Queue owner, long drops, long lowerings, long walk, boolean full) {}

    /** A queue's cursor; {@code walk} numbers the full walk it grew from, made at {@code fullWalkAt}. */
    private record Cursor(int priority, UUID id, long walk, long fullWalkAt) {}

    /** The cursors of one queue name in every project, and the changes a claim in progress must honour. */
    static final class Queue {
        long drops;
        long lowerings;
        long walks;
        /** The id of lowering number k is at k % RECENT_LOWERINGS. */
        final UUID[] recent = new UUID[RECENT_LOWERINGS];
        /** Keyed by the project (claims of any job) or {@link Filtered} (claims of some jobs). */
        final Map<Object, Cursor> byProject = new java.util.HashMap<>();
    }

    private final Map<String, Queue> queues = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    public ClaimCursors() {
        this(System::nanoTime);
    }

    ClaimCursors(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * The queue names this node keeps cursors for. Workers choose the names they claim, names of
     * no job included; when a new name would pass this, every cursor is forgotten (the next claims
     * walk from the start once), so that junk names neither grow the map forever nor crowd out real
     * queues for good. Claims in progress then find another state object and move nothing.
     */
    static final int MAX_QUEUES = 10_000;

    /** Cursors one queue keeps (projects and job lists); past this every cursor of it is forgotten. */
    static final int MAX_CURSORS_PER_QUEUE = 10_000;

    /** The key of the cursor of a claim that takes only runs of {@code jobs} (sorted, no duplicates). */
    record Filtered(UUID project, List<String> jobs) {}

    private static Object key(UUID project, List<String> jobs) {
        return jobs == null ? project : new Filtered(project, jobs);
    }

    /** Where a claim of any job of {@code queue} in {@code project} starts now. */
    Start start(UUID project, String queue) {
        return start(project, null, queue);
    }

    /** Where a claim of {@code queue} in {@code project}, of {@code jobs} only unless null, starts now. */
    Start start(UUID project, List<String> jobs, String queue) {
        Queue q = queues.get(queue);
        if (q == null) {
            if (queues.size() >= MAX_QUEUES) {
                queues.clear();
            }
            q = queues.computeIfAbsent(queue, k -> new Queue());
        }
        synchronized (q) {
            Cursor c = q.byProject.get(key(project, jobs));
            if (c == null || nanoTime.getAsLong() - c.fullWalkAt() > FULL_WALK_EVERY_NANOS) {
                return new Start(START_PRIORITY, START_ID, q, q.drops, q.lowerings, 0, true);
            }
            return new Start(c.priority(), c.id(), q, q.drops, q.lowerings, c.walk(), false);
        }
    }

    /**
     * After a claim that took runs of the queue: the next starts at the last of them (in claim
     * order), or lower if a trigger committed meanwhile, or from the start if the cursor was
     * dropped meanwhile.
     */
    void claimed(UUID project, String queue, Start from, int priority, UUID lastId) {
        claimed(project, null, queue, from, priority, lastId);
    }

    /** {@link #claimed} for a claim of {@code jobs} only (null: any job). */
    void claimed(UUID project, List<String> jobs, String queue, Start from, int priority, UUID lastId) {
        move(key(project, jobs), queue, from, priority, lastId);
    }

    /**
     * After a claim that found no ready run of the queue (and was cut by no other queue): every
     * run that becomes ready later has a newer id than {@code firstNewId} or comes with a notice.
     */
    void foundNone(UUID project, String queue, Start from, UUID firstNewId) {
        foundNone(project, null, queue, from, firstNewId);
    }

    /** {@link #foundNone} for a claim of {@code jobs} only (null: any job). */
    void foundNone(UUID project, List<String> jobs, String queue, Start from, UUID firstNewId) {
        move(key(project, jobs), queue, from, from.full() ? 0 : from.priority(), firstNewId);
    }

    private void move(Object project, String queue, Start from, int priority, UUID id) {
        Queue q = queues.get(queue);
        if (q == null || q != from.owner()) {
            return; // forgotten while the claim ran
        }
        synchronized (q) {
            if (q.drops != from.drops() || q.lowerings - from.lowerings() > RECENT_LOWERINGS) {
                return; // dropped while the claim ran (or too much happened to tell): keep that
            }
            UUID to = id;
            for (long k = from.lowerings(); k < q.lowerings; k++) {
                UUID low = q.recent[(int) (k % RECENT_LOWERINGS)];
                if (compare(low, to) < 0) {
                    to = low; // a trigger that committed while the claim ran, unseen by it
                }
            }
            Cursor c = q.byProject.get(project);
            if (c == null && q.byProject.size() >= MAX_CURSORS_PER_QUEUE) {
                q.byProject.clear(); // junk job lists must not grow the map forever
            }
            if (!from.full() && (c == null || c.walk() != from.walk())) {
                // Only a full walk starts a cursor. And a full walk that ended while this claim ran
                // may have found runs this one's walk began past (it started from an older
                // cursor); moving on from here would hide them again behind a freshly trusted cursor.
                return;
            }
            q.byProject.put(project, from.full() ? new Cursor(priority, to, ++q.walks, nanoTime.getAsLong())
                    : new Cursor(priority, to, c.walk(), c.fullWalkAt()));
        }
    }

    /**
     * The queues of a wake-up ({@code RunStore.notify}, the trigger's NOTIFY, or the local
     * equivalent): {@code name@id} lowers that queue's cursors to {@code id}, a bare name drops
     * them. The push dispatcher's name ({@code !http}) has no cursor.
     */
    public void ready(Collection<String> entries) {
        for (String e : entries) {
            int at = e.indexOf('@');
            if (at < 0) {
                drop(e);
                continue;
            }
            UUID id;
            try {
                id = UUID.fromString(e.substring(at + 1));
            } catch (IllegalArgumentException bad) {
                drop(e.substring(0, at)); // not ours to misread: walk from the start
                continue;
            }
            lower(e.substring(0, at), id);
        }
    }

    /** Something may have been missed (the LISTEN connection was down): every claim walks from the start. */
    public void resetAll() {
        for (String name : List.copyOf(queues.keySet())) {
            drop(name);
        }
    }

    private void lower(String queue, UUID id) {
        Queue q = queues.get(queue);
        if (q == null) {
            return; // no claim of it ever started here: the first one walks from the start
        }
        synchronized (q) {
            q.recent[(int) (q.lowerings % RECENT_LOWERINGS)] = id;
            q.lowerings++;
            q.byProject.replaceAll((project, c) -> compare(id, c.id()) >= 0 ? c
                    : new Cursor(c.priority(), id, c.walk(), c.fullWalkAt()));
        }
    }

    private void drop(String queue) {
        Queue q = queues.get(queue);
        if (q == null) {
            return;
        }
        synchronized (q) {
            q.drops++;
            q.byProject.clear();
        }
    }

    /** UUIDs in PostgreSQL's order: their bytes, unsigned ({@link UUID#compareTo} is signed). */
    static int compare(UUID a, UUID b) {
        int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return c != 0 ? c : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    /** The smallest UUIDv7 of the millisecond {@code millis}: every id made from then on is at least this. */
    static UUID firstIdAt(long millis) {
        return new UUID((millis << 16) | (0x7L << 12), 0x8000000000000000L);
    }
}
