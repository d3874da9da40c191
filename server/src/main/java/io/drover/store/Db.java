package io.drover.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection pools, migrations and transactions. Every write in Drover goes through
 * {@link #tx}: a state change and the run event that records it commit together or not at all.
 *
 * <p>Two pools. The general one ({@code DROVER_DB_POOL_SIZE} connections) serves everything. The
 * queue pool ({@link #queue()}, a quarter of that again, at least 2) serves only the queue's hot
 * statements: trigger, claim, heartbeat and completion, each a few milliseconds of work or less,
 * run thousands of times a second. Its connections plan each prepared statement once
 * ({@code plan_cache_mode = force_generic_plan}). Left to the default (auto), PostgreSQL chose a
 * fresh custom plan on every execution of those statements, because a plan made for the actual
 * LIMIT looks cheaper than the generic one: 0.6-3 ms of planning for a claim whose execution takes
 * 0.1 ms (psql, EXPLAIN ANALYZE EXECUTE; docs/benchmarks.md, "Third round"). The statements in
 * sql/runs.sql are written to be right with a generic plan (the ARRAY() id lists, the status
 * literals). The general pool keeps the default, since some of its statements (keyset pages with
 * an optional cursor, prefix matches) need the parameter values to use their indexes.
 */
public final class Db implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Db.class);
    private final HikariDataSource pool;
    private final Db queue;
    private final String jdbcUrl;
    private final String user;
    private final String password;
    /** The collector of each open transaction (both pools), by its connection. */
    private final Map<Connection, TxEffects> open;
    /** Who hears each commit's effects (both pools). */
    private final List<AfterCommitListener> listeners;

    public Db(String jdbcUrl, String user, String password, int poolSize) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.pool = pool(jdbcUrl, user, password, "drover", poolSize, null);
        this.open = new ConcurrentHashMap<>();
        this.listeners = new CopyOnWriteArrayList<>();
        this.queue = new Db(pool(jdbcUrl, user, password, "drover-queue", queuePoolSize(poolSize),
                "SET plan_cache_mode = force_generic_plan"), jdbcUrl, user, password, open, listeners);
    }

    private Db(HikariDataSource pool, String jdbcUrl, String user, String password, Map<Connection, TxEffects> open,
            List<AfterCommitListener> listeners) {
        this.pool = pool;
        this.open = open;
        this.listeners = listeners;
        this.queue = this;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** The size of the queue pool that comes with a general pool of {@code poolSize}. */
    public static int queuePoolSize(int poolSize) {
        return Math.max(2, poolSize / 4);
    }

    private static HikariDataSource pool(String jdbcUrl, String user, String password, String name, int size,
            String initSql) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(2, size));
        config.setPoolName(name);
        config.setAutoCommit(true);
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(-1);
        if (initSql != null) {
            config.setConnectionInitSql(initSql);
        }
        // Server-side prepared statements from the first use; our statements are few and hot.
        config.addDataSourceProperty("prepareThreshold", "1");
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        config.addDataSourceProperty("ApplicationName", "drover"); // both pools: operators (and CrashSuiteIT) find them by it
        config.addDataSourceProperty("tcpKeepAlive", "true");
        return new HikariDataSource(config);
    }

    /**
     * Publishes both pools' metrics ({@code hikaricp_connections*{pool="drover"|"drover-queue"}})
     * through HikariCP's Micrometer integration. Once, at start.
     */
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        var factory = new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(registry);
        pool.setMetricsTrackerFactory(factory);
        if (queue != this) {
            queue.pool.setMetricsTrackerFactory(factory);
        }
    }

    /** The queue's hot statements run here (see the class comment); the same methods, another pool. */
    public Db queue() {
        return queue;
    }

    public void migrate() {
        Flyway.configure()
                .dataSource(pool)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    public DataSource dataSource() {
        return pool;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** A connection outside the pool (the LISTEN connection); the caller closes it. */
    public Connection openDedicated() throws SQLException {
        return java.sql.DriverManager.getConnection(jdbcUrl, user, password);
    }

    /** Registers a listener for every commit's effects (wiring time, before traffic). */
    public void afterCommit(AfterCommitListener listener) {
        listeners.add(listener);
    }

    /**
     * The collector of the transaction (or auto-commit unit) running on {@code c}: everything done
     * on one connection adds to one collector, whoever does it.
     */
    public TxEffects effects(Connection c) {
        TxEffects fx = open.get(c);
        if (fx == null) {
            throw new IllegalStateException("no transaction of this Db runs on this connection");
        }
        return fx;
    }

    /**
     * Runs {@code work} in one transaction; commits on return, rolls back on any exception. After
     * the commit, the transaction's {@link TxEffects} go to the listeners, once.
     */
    public <T> T tx(TxWork<T> work) {
        TxEffects fx = new TxEffects();
        T result;
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            open.put(c, fx);
            try {
                result = work.run(c);
                c.commit();
            } catch (Throwable e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                open.remove(c);
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new DbException(e);
        }
        committed(fx);
        return result;
    }

    /**
     * Runs {@code work} on a pooled connection in auto-commit mode (reads and single statements);
     * what its statements collected goes to the listeners after it returns.
     */
    public <T> T read(TxWork<T> work) {
        TxEffects fx = new TxEffects();
        T result;
        try (Connection c = pool.getConnection()) {
            open.put(c, fx);
            try {
                result = work.run(c);
            } finally {
                open.remove(c);
            }
        } catch (SQLException e) {
            throw new DbException(e);
        }
        committed(fx);
        return result;
    }

    private void committed(TxEffects fx) {
        if (fx.isEmpty()) {
            return;
        }
        for (AfterCommitListener l : listeners) {
            try {
                l.onCommit(fx);
            } catch (RuntimeException e) {
                log.error("an after-commit listener failed; the transaction stays committed", e);
            }
        }
    }

    public boolean ping() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (queue != this) {
            queue.close();
        }
        pool.close();
    }

    @FunctionalInterface
    public interface TxWork<T> {
        T run(Connection c) throws SQLException;
    }
}
