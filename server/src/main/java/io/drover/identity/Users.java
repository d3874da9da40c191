package io.drover.identity;

import io.drover.store.Db;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

/** The users table: emails are unique without regard to case (a unique index on lower(email)). */
public final class Users {
    private static final String COLUMNS = "id, email, display_name, password_hash, is_active, created_at";
    private final Db db;

    public Users(Db db) {
        this.db = db;
    }

    public Optional<User> byEmail(String email) {
        return db.read(c -> byEmail(c, email));
    }

    public Optional<User> byEmail(Connection c, String email) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM users WHERE lower(email) = lower(?)")) {
            ps.setString(1, email);
            return one(ps);
        }
    }

    public Optional<User> get(UUID id) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM users WHERE id = ?")) {
                ps.setObject(1, id);
                return one(ps);
            }
        });
    }

    public User create(Connection c, String email, String displayName, String passwordHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO users (id, email, display_name, password_hash) "
                + "VALUES (?, ?, ?, ?) RETURNING " + COLUMNS)) {
            ps.setObject(1, UuidV7.next());
            ps.setString(2, email.strip());
            ps.setString(3, displayName);
            ps.setString(4, passwordHash);
            return one(ps).orElseThrow();
        }
    }

    public void setPassword(Connection c, UUID userId, String passwordHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE users SET password_hash = ?, updated_at = now() WHERE id = ?")) {
            ps.setString(1, passwordHash);
            ps.setObject(2, userId);
            ps.executeUpdate();
        }
    }

    private static Optional<User> one(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new User(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                    rs.getString(4), rs.getBoolean(5), rs.getTimestamp(6).toInstant()));
        }
    }
}
