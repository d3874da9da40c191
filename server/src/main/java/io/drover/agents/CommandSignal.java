package io.drover.agents;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where agents' command long-polls park, one monitor per agent: a command made on this node wakes
 * its agent's polls at once (after its commit), and one made on another node through the NOTIFY
 * channel {@code drover_agent_commands} (payload: the agent id). A generation counter makes a
 * wake-up between "found nothing" and "start waiting" count. Parked polls hold no connection, and
 * wait on a {@link ReentrantLock} (not a monitor, which would pin a virtual thread's carrier).
 */
public final class CommandSignal {
    public static final String CHANNEL = "drover_agent_commands";

    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        final Condition moved = lock.newCondition();
        long generation;
        int parked;
    }

    private final Map<UUID, Slot> slots = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private Slot slot(UUID agentId) {
        return slots.computeIfAbsent(agentId, id -> new Slot());
    }

    /** Read before looking for commands; pass to {@link #await}. */
    public long generation(UUID agentId) {
        Slot s = slot(agentId);
        s.lock.lock();
        try {
            return s.generation;
        } finally {
            s.lock.unlock();
        }
    }

    public void wake(UUID agentId) {
        Slot s = slots.get(agentId);
        if (s == null) {
            return; // nobody polls for it on this node
        }
        s.lock.lock();
        try {
            s.generation++;
            s.moved.signalAll();
        } finally {
            s.lock.unlock();
        }
    }

    /** A NOTIFY's payload: an agent id (anything else wakes every poll, as after a reconnect). */
    public void notified(String payload) {
        UUID id = io.drover.store.Ids.uuid(payload);
        if (id != null) {
            wake(id);
        } else {
            slots.keySet().forEach(this::wake);
        }
    }

    /** Waits until the agent's generation moves past {@code seen} or {@code maxWaitMs} pass; true if it moved. */
    public boolean await(UUID agentId, long seen, long maxWaitMs) throws InterruptedException {
        Slot s = slot(agentId);
        long nanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        s.lock.lock();
        try {
            s.parked++;
            try {
                while (s.generation == seen) {
                    if (nanos <= 0 || closed) {
                        return false;
                    }
                    nanos = s.moved.awaitNanos(nanos);
                }
                return true;
            } finally {
                s.parked--;
            }
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * The node is stopping: every parked poll wakes and answers with what it has (nothing), so no
     * poll reaches for the database after the pool closes.
     */
    public void close() {
        closed = true;
        slots.keySet().forEach(this::wake);
    }

    public boolean closed() {
        return closed;
    }

    /** How many polls of this agent are parked now (tests await one instead of sleeping). */
    public int parked(UUID agentId) {
        Slot s = slots.get(agentId);
        if (s == null) {
            return 0;
        }
        s.lock.lock();
        try {
            return s.parked;
        } finally {
            s.lock.unlock();
        }
    }
}
