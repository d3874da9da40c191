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

    public boolean isUniqueViolation() {
        return "23505".equals(sqlState());
    }
}
