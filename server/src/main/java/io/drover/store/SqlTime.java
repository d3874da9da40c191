package io.drover.store;

import java.sql.Timestamp;
import java.time.InstantSource;

/**
 * The time a statement takes as {@code coalesce(?::timestamptz, now())}: null, so that the
 * database's clock decides (the one clock every node shares), unless the clock is a
 * {@link Movable} one that a test moves.
 */
public final class SqlTime {
    private SqlTime() {}

    /** A clock whose time statements must use instead of the database's: tests move it. */
    public interface Movable extends InstantSource {}

    public static Timestamp now(InstantSource clock) {
        return clock instanceof Movable ? Timestamp.from(clock.instant()) : null;
    }
}
