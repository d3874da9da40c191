package io.drover.bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.Statement;

/** The one connection pool every library peer gets: HikariCP, the same size for all. */
final class Pools {
    private Pools() {
    }

    /** Worker threads plus a few for the poller, heartbeats/housekeeping and enqueueing. */
    static int size(int threads) {
        return threads + 8;
    }

    static HikariDataSource pool(String jdbcUrl, int threads, String name) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl);
        c.setUsername("postgres");
        c.setMaximumPoolSize(size(threads));
        c.setPoolName(name);
        return new HikariDataSource(c);
    }

    static void exec(HikariDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
