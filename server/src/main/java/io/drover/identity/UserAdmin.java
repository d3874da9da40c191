package io.drover.identity;

import io.drover.access.Role;
import io.drover.audit.AuditLog;
import io.drover.errors.Invalid;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Users made on the server itself, not through an invitation: the first owner (the setup link)
 * and {@code drover users create}, which is also the recovery path: for an email that exists it
 * sets the new password and raises the membership to the role asked for.
 */
public final class UserAdmin {
    public static final String DEFAULT_PROJECT = "default";
    private final Db db;
    private final Users users;
    private final Projects projects;
    private final Members members;
    private final Passwords passwords;
    private final AuditLog audit;

    public UserAdmin(Db db, Passwords passwords, AuditLog audit) {
        this.db = db;
        this.users = new Users(db);
        this.projects = new Projects(db);
        this.members = new Members(db);
        this.passwords = passwords;
        this.audit = audit;
    }

    public record Result(User user, io.drover.identity.Project project, Role role, boolean created) {}

    /** In its own transaction: creates the user (or resets their password) with {@code role} in {@code project}. */
    public Result createOrReset(String email, String password, Role role, String project) {
        return db.tx(c -> {
            Project p = project(c, project);
            Optional<User> existing = users.byEmail(c, checkEmail(email));
            User u;
            if (existing.isPresent()) {
                passwords.requireStrong(password, email);
                u = existing.get();
                users.setPassword(c, u.id(), passwords.hash(password));
            } else {
                u = create(c, email, password, role, project);
                return new Result(u, p, role, true);
            }
            members.upsert(c, p.id(), u.id(), role);
            audit.append(c, io.drover.access.Actor.anonymous("cli"), p.id(), "user.password_reset_cli", "user", u.id(),
                    Json.object().put("email", u.email()).put("role", role.db()));
            return new Result(u, p, role, false);
        });
    }

    /** Creates a new user with a strong password and a membership of {@code role} in {@code project} (id or slug). */
    public User create(Connection c, String email, String password, Role role, String project) throws SQLException {
        String checked = checkEmail(email);
        passwords.requireStrong(password, checked);
        Project p = project(c, project);
        if (users.byEmail(c, checked).isPresent()) {
            throw new io.drover.errors.Conflict("email_taken", "a user with this email exists already",
                    java.util.Map.of("field", "email"));
        }
        User u = users.create(c, checked, null, passwords.hash(password));
        members.upsert(c, p.id(), u.id(), role);
        audit.append(c, p.id(), "member.create", "user", u.id(), Json.object().put("email", checked)
                .put("role", role.db()));
        return u;
    }

    private Project project(Connection c, String project) throws SQLException {
        String name = project == null || project.isBlank() ? DEFAULT_PROJECT : project.strip();
        return projects.find(c, name, false).orElseThrow(() -> new NotFound("project", name));
    }

    static String checkEmail(String email) {
        String e = email == null ? "" : email.strip();
        if (e.length() > 320 || !e.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            throw new Invalid("email", "is not an email address");
        }
        return e;
    }
}
