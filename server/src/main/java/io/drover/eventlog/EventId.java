package io.drover.eventlog;

import java.util.Map;

/**
 * The position of an event in the log: its fence, its source table and its seq there. The order of
 * the log is (fence, source, seq); the id is the three in fixed-width lowercase hex (16 + 1 + 16
 * characters), so that ids compare as strings in the same order. Opaque to clients.
 *
 * <p>{@link #endOf} is the position after every event of a fence: a reader that read up to the
 * latest fence resumes from there (it is never handed out as an event id).
 */
public record EventId(long fence, int source, long seq) implements Comparable<EventId> {
    /** run_log_events rows. */
    public static final int RUN_EVENTS = 0;
    /** log_events rows (workflow runs and steps, approvals, ...). */
    public static final int EVENTS = 1;
    public static final int LENGTH = 33;
    /** Before every event: the start of the log. */
    public static final EventId START = new EventId(0, -1, -1);

    public static EventId endOf(long fence) {
        return new EventId(fence, 15, Long.MAX_VALUE);
    }

    /** The id; for a position before every event of a fence, the fence alone (sorts before them). */
    @Override
    public String toString() {
        if (source < 0) {
            return String.format("%016x", fence);
        }
        return String.format("%016x%x%016x", fence, source, seq);
    }

    /** Reads an id this server handed out; anything else is a 400 naming {@code parameter}. */
    public static EventId parse(String s, String parameter) {
        if (s == null || s.isEmpty()) {
            return START;
        }
        if (s.length() != LENGTH || !s.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            throw invalid(parameter);
        }
        long fence = Long.parseUnsignedLong(s.substring(0, 16), 16);
        int source = Character.digit(s.charAt(16), 16);
        long seq = Long.parseUnsignedLong(s.substring(17), 16);
        if (fence < 0 || seq < 0 || (source > EVENTS && source != 15)) {
            throw invalid(parameter);
        }
        return new EventId(fence, source, seq);
    }

    private static io.drover.errors.Malformed invalid(String parameter) {
        return new io.drover.errors.Malformed("invalid_cursor", parameter + " is not an event id this server issued",
                Map.of("parameter", parameter));
    }

    @Override
    public int compareTo(EventId o) {
        int c = Long.compare(fence, o.fence);
        if (c == 0) {
            c = Integer.compare(source, o.source);
        }
        return c != 0 ? c : Long.compare(seq, o.seq);
    }
}
