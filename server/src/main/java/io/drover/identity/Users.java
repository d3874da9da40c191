package io.drover.identity;

import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

/** The users table: emails are unique without regard to case (a unique index on lower(email)). */
public final class Users {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private final Db db;

    public Users(Db db) {
        this.db = db;
    }

    public Optional<User> byEmail(String email) {
        return db.read(c -> byEmail(c, email));
    }

    public Optional<User> byEmail(Connection c, String email) throws SQLException {
        try (Query q = SQL.prepare(c, "user_by_email")) {
            return one(q.set("email", email));
        }
    }

    public Optional<User> get(UUID id) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "user_by_id")) {
                return one(q.set("id", id));
            }
        });
    }

    public User create(Connection c, String email, String displayName, String passwordHash) throws SQLException {
        try (Query q = SQL.prepare(c, "insert_user")) {
            q.set("id", UuidV7.next()).set("email", email.strip()).set("display_name", displayName)
                    .set("password_hash", passwordHash);
            return one(q).orElseThrow();
        }
    }

    public void setPassword(Connection c, UUID userId, String passwordHash) throws SQLException {
        try (Query q = SQL.prepare(c, "set_user_password")) {
            q.set("password_hash", passwordHash).set("id", userId).update();
        }
    }

    private static Optional<User> one(Query q) throws SQLException {
        try (ResultSet rs = q.query()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new User(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                    rs.getString(4), rs.getBoolean(5), rs.getTimestamp(6).toInstant()));
        }
    }
}
