package io.drover.store;

import java.sql.SQLException;

/** An unchecked wrapper for a database failure; {@link #sqlState()} tells constraint errors apart. */
public final class DbException extends RuntimeException {
    public DbException(SQLException cause) {
        super(cause.getMessage(), cause);
    }

    public String sqlState() {
        return ((SQLException) getCause()).getSQLState();
    }

    /**
     * The database could not be reached or went away mid-statement (connection failure, admin or
     * crash shutdown, starting up, too many connections, pool time-out): retryable, not a bug.
     */
    public boolean isUnavailable() {
        if (getCause() instanceof java.sql.SQLTransientConnectionException) {
            return true;
        }
        String state = sqlState();
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03") || state.equals("53300"));
    }

    public boolean isUniqueViolation() {
        return "23505".equals(sqlState());
    }
}
