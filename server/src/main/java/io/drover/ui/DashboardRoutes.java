package io.drover.ui;

import io.drover.access.Actor;
import io.drover.access.AuditContext;
import io.drover.access.Principal;
import io.drover.errors.DomainException;
import io.drover.http.ApiError;
import io.drover.identity.CallerAuthenticator;
import io.drover.identity.FirstOwner;
import io.drover.identity.Login;
import io.drover.identity.Projects;
import io.drover.identity.Sessions;
import io.drover.identity.Users;
import io.drover.store.DbException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard under {@code /ui/}: sign-in and sign-out (the API's login and session code, the same
 * cookies), the first owner's setup link, the static files, and every {@link UiRoute} of the pages.
 * Each page request is authenticated by the API's authenticator against the route's role (so the
 * CSRF rule for writes is the API's: htmx sends the token as {@code X-CSRF-Token}); a request
 * without a session goes to the sign-in page, and errors are pages, not JSON.
 */
public final class DashboardRoutes {
    private static final Logger log = LoggerFactory.getLogger(DashboardRoutes.class);
    private final CallerAuthenticator auth;
    private final Login login;
    private final Sessions sessions;
    private final Users users;
    private final Projects projects;
    private final FirstOwner firstOwner;
    private final List<UiRoute> routes = new ArrayList<>();
    private final Templates templates = new Templates();
    private final StaticFiles files = new StaticFiles();

    public DashboardRoutes(CallerAuthenticator auth, Login login, Sessions sessions, Users users, Projects projects,
            FirstOwner firstOwner) {
        this.auth = auth;
        this.login = login;
        this.sessions = sessions;
        this.users = users;
        this.projects = projects;
        this.firstOwner = firstOwner;
    }

    /** Adds a page's routes; the menu lists pages in the order they were added. */
    public DashboardRoutes add(List<UiRoute> pageRoutes) {
        routes.addAll(pageRoutes);
        return this;
    }

    public List<UiRoute> routes() {
        return List.copyOf(routes);
    }

    /** Registers everything on the HTTP server (HttpApi calls this before the API's routes). */
    public void register(JavalinConfig config) {
        config.routes.addHttpHandler(HandlerType.GET, "/", ctx -> ctx.redirect("/ui/"));
        config.routes.addHttpHandler(HandlerType.GET, "/ui/static/{file}", this::serveStatic);
        config.routes.addHttpHandler(HandlerType.GET, "/ui/login", ctx -> loginPage(ctx, null, 200));
        config.routes.addHttpHandler(HandlerType.POST, "/ui/login", this::signIn);
        config.routes.addHttpHandler(HandlerType.POST, "/ui/logout", this::signOut);
        config.routes.addHttpHandler(HandlerType.GET, "/ui/setup", this::setupPage);
        config.routes.addHttpHandler(HandlerType.POST, "/ui/setup", this::setup);
        List<UiRoute> nav = routes.stream().filter(r -> r.nav() != null).toList();
        for (UiRoute r : routes) {
            config.routes.addHttpHandler(r.method().equals("GET") ? HandlerType.GET : HandlerType.POST, r.path(),
                    ctx -> serve(ctx, r, nav));
        }
        config.routes.addHttpHandler(HandlerType.GET, "/ui/<rest>", ctx -> errorPage(ctx, 404, "not_found",
                "There is no page " + ctx.path() + "."));
    }

    private void serve(Context ctx, UiRoute r, List<UiRoute> pages) {
        noStore(ctx);
        Principal p;
        try {
            p = auth.authenticate(ctx, r.asApiRoute());
        } catch (ApiError e) {
            if (e.status() == 401) {
                toLogin(ctx);
            } else {
                errorPage(ctx, e.status(), e.code(), e.getMessage());
            }
            return;
        } catch (DomainException e) {
            ApiError a = ApiError.from(e);
            errorPage(ctx, a.status(), a.code(), a.getMessage());
            return;
        }
        // the menu holds the pages this caller's role may open
        List<Frame.NavItem> nav = pages.stream().filter(n -> p.role() != null && p.role().atLeast(n.role()))
                .map(n -> new Frame.NavItem(n.nav(), n.path())).toList();
        String current = nav.stream().filter(n -> ctx.path().startsWith(n.href()) && !n.href().equals("/ui/")
                || n.href().equals(ctx.path())).map(Frame.NavItem::label).findFirst().orElse(null);
        if (ctx.path().startsWith("/ui/workflow-runs/")) {
            current = "Workflows";
        }
        Frame frame = new Frame(null, current, who(p), p.role() == null ? null : p.role().db(), projectName(p),
                csrf(ctx), nav, null);
        UiCall call = new UiCall(ctx, p, frame);
        AuditContext.set(p.isUser() ? Actor.user(p.userId(), ctx.ip()) : Actor.apiKey(p.keyId(), ctx.ip()));
        try {
            View v = r.handler().handle(call);
            send(ctx, v, call);
        } catch (DomainException e) {
            ApiError a = ApiError.from(e);
            if (isHtmx(ctx)) {
                // an action refused: the page shows why where the button was, the page itself stays
                ctx.status(a.status()).contentType("text/html; charset=utf-8")
                        .result(templates.render("flash.jte", Map.of("message", a.getMessage())));
            } else {
                errorPage(ctx, a.status(), a.code(), a.getMessage());
            }
        } catch (ApiError a) {
            errorPage(ctx, a.status(), a.code(), a.getMessage());
        } catch (DbException e) {
            log.error("database error on {} {}", ctx.method(), ctx.path(), e);
            errorPage(ctx, e.isUnavailable() ? 503 : 500, "internal_error", "The server could not answer; see its log.");
        } catch (Exception e) {
            log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
            errorPage(ctx, 500, "internal_error", "The server could not answer; see its log.");
        } finally {
            AuditContext.clear();
        }
    }

    private void send(Context ctx, View v, UiCall call) {
        if (v.redirect() != null) {
            if (isHtmx(ctx)) {
                ctx.header("HX-Redirect", v.redirect()).status(204);
            } else {
                ctx.redirect(v.redirect(), io.javalin.http.HttpStatus.SEE_OTHER);
            }
            return;
        }
        String title = v.model() instanceof Titled t ? t.title() : "Drover";
        ctx.status(v.status()).contentType("text/html; charset=utf-8")
                .result(templates.render(v.template(), call.frame(title), v.model()));
    }

    private String who(Principal p) {
        if (!p.isUser()) {
            return "API key";
        }
        return users.get(p.userId()).map(u -> u.email()).orElse("unknown user");
    }

    private String projectName(Principal p) {
        if (p.projectId() == null) {
            return null;
        }
        try {
            return projects.get(p.projectId()).slug();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private String csrf(Context ctx) {
        String token = ctx.cookie(Sessions.COOKIE);
        return token == null || token.isEmpty() || ctx.header("Authorization") != null ? null
                : sessions.csrfFor(token);
    }

    private void toLogin(Context ctx) {
        String next = ctx.method() == HandlerType.GET && !isHtmx(ctx) ? ctx.path()
                + (ctx.queryString() == null ? "" : "?" + ctx.queryString()) : "/ui/";
        String location = "/ui/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8);
        if (isHtmx(ctx)) {
            ctx.header("HX-Redirect", location).status(204);
        } else {
            ctx.redirect(location, io.javalin.http.HttpStatus.FOUND);
        }
    }

    private void loginPage(Context ctx, String error, int status) {
        noStore(ctx);
        Map<String, Object> params = new HashMap<>();
        params.put("frame", Frame.signedOut("Sign in"));
        params.put("next", safeNext(ctx.queryParam("next") != null ? ctx.queryParam("next") : ctx.formParam("next")));
        params.put("error", error);
        params.put("email", ctx.formParam("email"));
        ctx.status(status).contentType("text/html; charset=utf-8").result(templates.render("login.jte", params));
    }

    private void signIn(Context ctx) {
        String email = ctx.formParam("email");
        String password = ctx.formParam("password");
        if (email == null || email.isBlank() || password == null || password.isEmpty() || email.length() > 320
                || password.length() > io.drover.identity.Passwords.MAX_LENGTH) {
            loginPage(ctx, "Enter your email and password.", 400);
            return;
        }
        try {
            Login.Success s = login.login(email.strip(), password, ctx.ip());
            CallerAuthenticator.setCookies(ctx, s.session().token(), s.session().csrf(), s.session().expiresAt());
            ctx.redirect(safeNext(ctx.formParam("next")), io.javalin.http.HttpStatus.SEE_OTHER);
        } catch (DomainException e) {
            ApiError a = ApiError.from(e);
            loginPage(ctx, a.status() == 429 ? "Too many failed sign-ins; try again in a few minutes."
                    : "Wrong email or password.", a.status());
        }
    }

    private void signOut(Context ctx) {
        String token = ctx.cookie(Sessions.COOKIE);
        if (token != null && !token.isEmpty()) {
            if (!sessions.csrfMatches(token, ctx.header(Sessions.CSRF_HEADER))
                    && !sessions.csrfMatches(token, ctx.formParam("csrf"))) {
                errorPage(ctx, 403, "csrf_failed", "Signing out needs the page's CSRF token; reload the page.");
                return;
            }
            sessions.authenticate(token).ifPresent(live -> login.logout(live, ctx.ip()));
        }
        CallerAuthenticator.clearCookies(ctx);
        if (isHtmx(ctx)) {
            ctx.header("HX-Redirect", "/ui/login").status(204);
        } else {
            ctx.redirect("/ui/login", io.javalin.http.HttpStatus.SEE_OTHER);
        }
    }

    private void setupPage(Context ctx) {
        noStore(ctx);
        String token = ctx.queryParam("token");
        if (!firstOwner.valid(token)) {
            errorPage(ctx, 410, "setup_link_invalid", "This setup link is unknown, used or expired, or an owner exists"
                    + " already. Sign in, or create an owner with `drover users create --role owner --password-stdin`.");
            return;
        }
        setupForm(ctx, token, null, 200);
    }

    private void setupForm(Context ctx, String token, String error, int status) {
        Map<String, Object> params = new HashMap<>();
        params.put("frame", Frame.signedOut("Create the first owner"));
        params.put("token", token);
        params.put("error", error);
        params.put("email", ctx.formParam("email"));
        ctx.status(status).contentType("text/html; charset=utf-8").result(templates.render("setup.jte", params));
    }

    private void setup(Context ctx) {
        noStore(ctx);
        String token = ctx.formParam("token");
        String email = ctx.formParam("email");
        String password = ctx.formParam("password");
        if (email == null || email.isBlank() || password == null || password.isEmpty()) {
            setupForm(ctx, token, "Enter an email and a password.", 400);
            return;
        }
        if (!password.equals(ctx.formParam("password_again"))) {
            setupForm(ctx, token, "The two passwords differ.", 400);
            return;
        }
        try {
            firstOwner.claim(token, email, password, ctx.ip());
            Login.Success s = login.login(email.strip(), password, ctx.ip());
            CallerAuthenticator.setCookies(ctx, s.session().token(), s.session().csrf(), s.session().expiresAt());
            ctx.redirect("/ui/", io.javalin.http.HttpStatus.SEE_OTHER);
        } catch (io.drover.errors.Gone e) {
            errorPage(ctx, 410, e.code(), e.getMessage());
        } catch (DomainException e) {
            ApiError a = ApiError.from(e);
            setupForm(ctx, token, a.getMessage(), a.status());
        }
    }

    private void serveStatic(Context ctx) {
        String name = ctx.pathParam("file");
        byte[] body = StaticFiles.TYPES.containsKey(name) ? files.get(name) : null;
        if (body == null) {
            errorPage(ctx, 404, "not_found", "There is no file " + ctx.path() + ".");
            return;
        }
        ctx.header("Cache-Control", "public, max-age=3600");
        ctx.contentType(StaticFiles.TYPES.get(name)).result(body);
    }

    private void errorPage(Context ctx, int status, String code, String message) {
        noStore(ctx);
        Map<String, Object> params = new HashMap<>();
        params.put("frame", Frame.signedOut("Error " + status));
        params.put("status", status);
        params.put("code", code);
        params.put("message", message);
        ctx.status(status).contentType("text/html; charset=utf-8").result(templates.render("error.jte", params));
    }

    /** Only a path of the dashboard: never another site, nor a protocol-relative URL. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/ui/") || next.startsWith("//") || next.contains("\\")
                || next.length() > 2000) {
            return "/ui/";
        }
        return next;
    }

    private static boolean isHtmx(Context ctx) {
        return "true".equals(ctx.header("HX-Request"));
    }

    private static void noStore(Context ctx) {
        ctx.header("Cache-Control", "no-store");
    }

    /** A page model that names its page's title. */
    public interface Titled {
        String title();
    }
}
