package io.drover.store;

import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.BitSet;
import java.util.UUID;

/**
 * A prepared {@link Statement} bound by parameter name. Each {@code set} binds every position where
 * the name stands; running it with a name left unbound is a bug and fails before anything is sent.
 */
public final class Query implements AutoCloseable {
    private final Statement statement;
    private final PreparedStatement ps;
    private final BitSet bound = new BitSet();

    Query(Statement statement, PreparedStatement ps) {
        this.statement = statement;
        this.ps = ps;
    }

    /**
     * Binds a value by its Java type: {@link Instant} as a timestamp, {@link UUID}, strings, numbers
     * and booleans as themselves, and {@code null} as an untyped null (PostgreSQL infers the type from
     * the statement; write {@code CAST(:name AS type)} where it cannot).
     */
    public Query set(String name, Object value) throws SQLException {
        for (int p : statement.positions(name)) {
            if (value == null) {
                ps.setNull(p, Types.NULL);
            } else if (value instanceof Instant i) {
                ps.setTimestamp(p, Timestamp.from(i));
            } else if (value instanceof String s) {
                ps.setString(p, s);
            } else if (value instanceof Array a) {
                ps.setArray(p, a);
            } else {
                ps.setObject(p, value);
            }
            bound.set(p);
        }
        return this;
    }

    /** Binds a value with an explicit JDBC type ({@link Types}), for a typed null. */
    public Query set(String name, Object value, int sqlType) throws SQLException {
        for (int p : statement.positions(name)) {
            ps.setObject(p, value, sqlType);
            bound.set(p);
        }
        return this;
    }

    /** Binds a PostgreSQL array of {@code elementType} ({@code "uuid"}, {@code "text"}, ...). */
    public Query setArray(String name, String elementType, Object[] values) throws SQLException {
        return set(name, ps.getConnection().createArrayOf(elementType, values));
    }

    public ResultSet query() throws SQLException {
        check();
        return ps.executeQuery();
    }

    public int update() throws SQLException {
        check();
        return ps.executeUpdate();
    }

    public boolean execute() throws SQLException {
        check();
        return ps.execute();
    }

    /** The JDBC statement, for what binding by name does not cover (fetch size, batches). */
    public PreparedStatement jdbc() {
        return ps;
    }

    private void check() {
        if (bound.cardinality() != statement.placeholderCount()) {
            for (String name : statement.parameters()) {
                for (int p : statement.positions(name)) {
                    if (!bound.get(p)) {
                        throw new IllegalStateException(statement + ": parameter :" + name + " is not bound");
                    }
                }
            }
        }
    }

    @Override
    public void close() throws SQLException {
        ps.close();
    }
}
