package io.drover.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The agent's bounded buffer of events not yet accepted by Drover. Recording never blocks the
 * engine: when the buffer is full the oldest event is dropped (and counted in {@link #dropped()}),
 * because a watched engine slowed down by its observer is worse than a gap in the history.
 *
 * <p>Sequence numbers: each event gets the next {@code seq} when it is added, and keeps it on every
 * resend, so Drover counts it once. The first {@code seq} of a process is the larger of the clock in
 * microseconds and the spool's last {@code seq} + 1, so a restarted agent never reuses a number
 * Drover has already seen (unless it records more than a million events a second).
 *
 * <p>With a spool file, {@link #spool} writes what is left at shutdown and {@link #EventBuffer(int, Path)}
 * reads it back at the next start, so a restart while Drover is away loses nothing either.
 */
public final class EventBuffer {
    private static final System.Logger LOG = System.getLogger(EventBuffer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int capacity;
    private final Path spoolFile;
    private final ArrayDeque<TaskEvent> events = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition added = lock.newCondition();
    private long nextSeq;
    private long dropped;

    public EventBuffer(int capacity) {
        this(capacity, null);
    }

    public EventBuffer(int capacity, Path spoolFile) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.spoolFile = spoolFile;
        long seqFloor = System.currentTimeMillis() * 1000;
        if (spoolFile != null && Files.exists(spoolFile)) {
            for (TaskEvent e : readSpool(spoolFile)) {
                offerLocked(e);
                seqFloor = Math.max(seqFloor, e.seq() + 1);
            }
        }
        this.nextSeq = seqFloor;
    }

    /** Adds an event with the next sequence number; never blocks. Returns the number it got. */
    public long add(TaskEvent event) {
        lock.lock();
        try {
            long seq = nextSeq++;
            offerLocked(event.withSeq(seq));
            added.signalAll();
            return seq;
        } finally {
            lock.unlock();
        }
    }

    private void offerLocked(TaskEvent e) {
        if (events.size() >= capacity) {
            events.pollFirst();
            dropped++;
        }
        events.addLast(e);
    }

    /** Up to {@code max} of the oldest events, in order, left in the buffer until {@link #ack}. */
    public List<TaskEvent> peek(int max) {
        lock.lock();
        try {
            List<TaskEvent> out = new ArrayList<>(Math.min(max, events.size()));
            for (TaskEvent e : events) {
                if (out.size() == max) {
                    break;
                }
                out.add(e);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeoutMs} for an event to be buffered; true when one is. */
    public boolean awaitEvents(long timeoutMs) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (events.isEmpty() && nanos > 0) {
                nanos = added.awaitNanos(nanos);
            }
            return !events.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets every event up to and including {@code seq}: Drover has it. */
    public void ack(long seq) {
        lock.lock();
        try {
            while (!events.isEmpty() && events.peekFirst().seq() <= seq) {
                events.pollFirst();
            }
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            return events.size();
        } finally {
            lock.unlock();
        }
    }

    /** Events dropped because the buffer was full. */
    public long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Writes what is left to the spool file (when there is one), to be sent after the next start. */
    public void spool() {
        if (spoolFile == null) {
            return;
        }
        List<TaskEvent> left = peek(Integer.MAX_VALUE);
        try {
            if (left.isEmpty()) {
                Files.deleteIfExists(spoolFile);
                return;
            }
            Path tmp = spoolFile.resolveSibling(spoolFile.getFileName() + ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (TaskEvent e : left) {
                    w.write(JSON.writeValueAsString(Frames.event(e)));
                    w.write('\n');
                }
            }
            Files.move(tmp, spoolFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not write the agent's spool file " + spoolFile + ": " + e);
        }
    }

    private static List<TaskEvent> readSpool(Path file) {
        List<TaskEvent> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    out.add(Frames.event(n));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read the agent's spool file " + file + " (kept "
                    + out.size() + " events): " + e);
        }
        return out;
    }
}
