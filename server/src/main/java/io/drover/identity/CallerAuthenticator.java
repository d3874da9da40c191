package io.drover.identity;

import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Route;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The one place that decides who a request comes from and what it may do. A Bearer API key wins
 * when present (its project and role are fixed). Otherwise the session cookie names a user; their
 * project is the route's {@code {project}} path parameter, the {@code X-Drover-Project} header
 * (id or slug), or their oldest membership, and their role is their membership role there. Writes
 * with a session cookie must carry the session's CSRF token in {@code X-CSRF-Token}.
 */
public final class CallerAuthenticator implements io.drover.http.Authenticator {
    public static final String PROJECT_HEADER = "X-Drover-Project";
    private final ApiKeys keys;
    private final Sessions sessions;
    private final Projects projects;
    private final Members members;

    public CallerAuthenticator(ApiKeys keys, Sessions sessions, Projects projects, Members members) {
        this.keys = keys;
        this.sessions = sessions;
        this.projects = projects;
        this.members = members;
    }

    @Override
    public Principal authenticate(Context ctx, Route route) {
        String header = ctx.header("Authorization");
        Principal p = header != null && !header.isBlank() ? byKey(ctx, route, header) : bySession(ctx, route);
        if (route.role() != null && (p.role() == null || !p.role().atLeast(route.role()))) {
            String who = p.isUser() ? "your role in this project" : "this key's role";
            throw ApiError.forbidden(who + " (" + (p.role() == null ? "none" : p.role().db()) + ") cannot "
                    + route.method() + " " + route.path() + "; it needs " + route.role().db() + " or higher");
        }
        return p;
    }

    private Principal byKey(Context ctx, Route route, String header) {
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiError.unauthorized("Authorization must be 'Bearer <api key>'");
        }
        Principal p = keys.authenticate(header.substring(7).strip())
                .orElseThrow(() -> ApiError.unauthorized("invalid, revoked or expired API key"));
        String selector = selector(ctx, route);
        if (selector != null && !selector.equals(p.projectId().toString())) {
            Optional<Project> named = projects.find(selector);
            if (named.isEmpty() || !named.get().id().equals(p.projectId())) {
                // A key sees one project; others do not exist for it.
                throw ApiError.notFound("project", shorten(selector));
            }
        }
        return p;
    }

    private Principal bySession(Context ctx, Route route) {
        String token = ctx.cookie(Sessions.COOKIE);
        if (token == null || token.isEmpty()) {
            throw ApiError.unauthorized("missing Authorization: Bearer <api key> (or a session cookie)");
        }
        Sessions.Live live = sessions.authenticate(token)
                .orElseThrow(() -> ApiError.unauthorized("session expired or signed out; log in again"));
        if (!isSafe(ctx.method().name()) && !sessions.csrfMatches(token, ctx.header(Sessions.CSRF_HEADER))) {
            throw new ApiError(403, "csrf_failed", "a cookie-authenticated write needs the session's CSRF token in "
                    + Sessions.CSRF_HEADER, java.util.Map.of("header", Sessions.CSRF_HEADER));
        }
        if (live.slid()) {
            setCookies(ctx, token, sessions.csrfFor(token), live.expiresAt());
        }
        String selector = selector(ctx, route);
        if (selector == null) {
            List<Projects.Membership> mine = projects.ofUser(live.userId());
            if (mine.isEmpty()) {
                return Principal.user(live.userId(), null, null);
            }
            return Principal.user(live.userId(), mine.get(0).projectId(), mine.get(0).role());
        }
        Optional<Project> project = projects.find(selector);
        Optional<Role> role = project.flatMap(pr -> members.role(pr.id(), live.userId()));
        if (role.isEmpty()) {
            if (route.account()) {
                return Principal.user(live.userId(), null, null);
            }
            // Not a member: the project does not exist for this user (no hint that it does).
            throw ApiError.notFound("project", shorten(selector));
        }
        return Principal.user(live.userId(), project.get().id(), role.get());
    }

    private static String selector(Context ctx, Route route) {
        if (route.path().contains("{project}")) {
            return ctx.pathParam("project");
        }
        String h = ctx.header(PROJECT_HEADER);
        return h == null || h.isBlank() ? null : h.strip();
    }

    private static boolean isSafe(String method) {
        return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
    }

    /** Sets (or refreshes) the session cookie (HttpOnly) and the CSRF cookie (readable by the page's script). */
    public static void setCookies(Context ctx, String token, String csrf, Instant expiresAt) {
        long maxAge = Math.max(0, Duration.between(Instant.now(), expiresAt).toSeconds());
        String secure = behindTls(ctx) ? "; Secure" : "";
        ctx.res().addHeader("Set-Cookie", Sessions.COOKIE + "=" + token + "; Path=/; Max-Age=" + maxAge
                + "; HttpOnly; SameSite=Lax" + secure);
        ctx.res().addHeader("Set-Cookie", Sessions.CSRF_COOKIE + "=" + csrf + "; Path=/; Max-Age=" + maxAge
                + "; SameSite=Lax" + secure);
    }

    public static void clearCookies(Context ctx) {
        String secure = behindTls(ctx) ? "; Secure" : "";
        ctx.res().addHeader("Set-Cookie", Sessions.COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + secure);
        ctx.res().addHeader("Set-Cookie", Sessions.CSRF_COOKIE + "=; Path=/; Max-Age=0; SameSite=Lax" + secure);
    }

    /** TLS here, or at a proxy in front that says so. */
    static boolean behindTls(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    public static UUID parse(String s) {
        return io.drover.store.Ids.uuid(s);
    }
}
