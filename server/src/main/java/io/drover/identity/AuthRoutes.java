package io.drover.identity;

import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Principal;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.List;
import java.util.Set;

/** Sign-in, sign-out, who-am-I, invitation acceptance and password resets. */
public final class AuthRoutes {
    private final Login login;
    private final Sessions sessions;
    private final Users users;
    private final Projects projects;
    private final Invitations invitations;
    private final PasswordResets resets;

    public AuthRoutes(Login login, Sessions sessions, Users users, Projects projects, Invitations invitations,
            PasswordResets resets) {
        this.login = login;
        this.sessions = sessions;
        this.users = users;
        this.projects = projects;
        this.invitations = invitations;
        this.resets = resets;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/auth/login", null, "Log in with email and password: sets the session cookie, returns the CSRF token",
                        this::login),
                Route.account("POST", "/v1/auth/logout", "Log out: ends the session and clears its cookies", this::logout),
                Route.account("GET", "/v1/me", "The caller: a user with their projects and roles, or an API key",
                        this::me),
                post("/v1/invitations/accept", null, "Accept an invitation (creates the user when the email is new)",
                        this::accept),
                post("/v1/password-resets", null, "Ask for a password reset mail (same answer for unknown emails)",
                        this::requestReset),
                post("/v1/password-resets/confirm", null, "Set a new password with a reset token", this::confirmReset));
    }

    private Reply login(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("email", "password"));
        String email = in.requiredString("email", 320);
        String password = in.requiredString("password", Passwords.MAX_LENGTH);
        Login.Success s = login.login(email, password, c.ctx().ip());
        CallerAuthenticator.setCookies(c.ctx(), s.session().token(), s.session().csrf(), s.session().expiresAt());
        ObjectNode out = Json.object();
        out.set("user", s.user().toJson());
        out.put("csrf_token", s.session().csrf());
        out.put("expires_at", s.session().expiresAt().toString());
        return Reply.ok(out);
    }

    private Reply logout(Call c) {
        Input.body(c.body(), true).allowOnly(Set.of());
        String token = c.ctx().cookie(Sessions.COOKIE);
        if (c.principal().isUser() && token != null) {
            sessions.authenticate(token).ifPresent(live -> login.logout(live, c.ctx().ip()));
        }
        CallerAuthenticator.clearCookies(c.ctx());
        return Reply.ok(Json.object().put("logged_out", true));
    }

    private Reply me(Call c) {
        Principal p = c.principal();
        ObjectNode out = Json.object();
        if (p.isUser()) {
            User u = users.get(p.userId()).orElseThrow(() -> ApiError.unauthorized("user no longer exists"));
            out.set("user", u.toJson());
            ArrayNode arr = out.putArray("memberships");
            for (Projects.Membership m : projects.ofUser(p.userId())) {
                arr.addObject().put("project_id", m.projectId().toString()).put("slug", m.slug())
                        .put("name", m.name()).put("role", m.role().db());
            }
        } else {
            out.putObject("api_key").put("id", p.keyId().toString());
        }
        out.put("project_id", p.projectId() == null ? null : p.projectId().toString());
        out.put("role", p.role() == null ? null : p.role().db());
        return Reply.ok(out);
    }

    private Reply accept(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("token", "password", "display_name"));
        Invitations.Accepted a = invitations.accept(in.requiredString("token", 200),
                in.string("password", null, Passwords.MAX_LENGTH), in.nonBlank("display_name", null, 200), c.ctx().ip());
        ObjectNode out = Json.object();
        out.set("user", a.user().toJson());
        out.put("project_id", a.invitation().projectId().toString());
        out.put("role", a.invitation().role().db());
        return Reply.ok(out);
    }

    private Reply requestReset(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("email"));
        resets.request(in.requiredString("email", 320), c.ctx().ip());
        return new Reply(202, Json.object().put("status", "requested")
                .put("message", "if the account exists, a reset mail is on its way"), "application/json");
    }

    private Reply confirmReset(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("token", "password"));
        User u = resets.confirm(in.requiredString("token", 200), in.requiredString("password", Passwords.MAX_LENGTH),
                c.ctx().ip());
        return Reply.ok(Json.object().put("user_id", u.id().toString()).put("password_changed", true));
    }
}
