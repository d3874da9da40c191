package io.drover.identity;

import java.sql.Connection;
import java.sql.SQLException;

/** Raw SQL for tests in other packages. */
public final class IdentitySql {
    private IdentitySql() {}

    public static int exec(Connection c, String sql, Object... args) throws SQLException {
        return IdentityKit.exec(c, sql, args);
    }
}
