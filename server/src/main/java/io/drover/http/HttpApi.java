package io.drover.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Actor;
import io.drover.access.AuditContext;
import io.drover.access.Principal;
import io.drover.store.DbException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.MethodNotAllowedResponse;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP layer: registers every {@link Route}, checks the caller's key and role before each
 * handler, renders replies and errors (one error shape for all), and limits body sizes. Routes
 * themselves live with their capability ({@code JobRoutes}, {@code RunRoutes}, ...).
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    /** MDC keys of the run and the job a request or a background pass works on (JSON logs show them). */
    public static final String MDC_RUN = "run_id";
    public static final String MDC_JOB = "job";

    /** The matched route's template, set on the request before its handler runs. */
    private static final String ROUTE_ATTRIBUTE = "drover.route";
    private final Javalin app;
    private final List<Route> routes;
    private final long maxBodyBytes;

    public HttpApi(List<Route> routes, Authenticator keys, long maxBodyBytes, String host, int port) {
        this(routes, keys, maxBodyBytes, host, port, 65_000, new RateLimiter(0, 1));
    }

    /**
     * @param idleTimeoutMs a connection with no bytes moving for this long is closed (slow and half-open
     *     clients); it must stay above the longest claim long-poll (30 s)
     * @param limiter requests per API key (or signed-in user)
     */
    public HttpApi(List<Route> routes, Authenticator keys, long maxBodyBytes, String host, int port,
            long idleTimeoutMs, RateLimiter limiter) {
        this(routes, keys, maxBodyBytes, host, port, idleTimeoutMs, limiter, RequestObserver.NONE);
    }

    /** @param observer hears of every answered request, with its route template (HTTP metrics) */
    public HttpApi(List<Route> routes, Authenticator keys, long maxBodyBytes, String host, int port,
            long idleTimeoutMs, RateLimiter limiter, RequestObserver observer) {
        this(routes, keys, maxBodyBytes, host, port, idleTimeoutMs, limiter, observer, config -> { });
    }

    /**
     * @param pages registers what is served besides the API's routes (the dashboard under /ui/, which
     *     answers HTML and redirects instead of the API's JSON errors)
     */
    public HttpApi(List<Route> routes, Authenticator keys, long maxBodyBytes, String host, int port,
            long idleTimeoutMs, RateLimiter limiter, RequestObserver observer,
            java.util.function.Consumer<io.javalin.config.JavalinConfig> pages) {
        this.routes = List.copyOf(routes);
        this.maxBodyBytes = maxBodyBytes;
        this.app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = maxBodyBytes;
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.port = port;
            // Our own connector: Javalin makes its default one after the modifyServer hooks run, so an idle
            // timeout set there never applied (Jetty's 30 s default did).
            config.jetty.addConnector((server, httpConfig) -> {
                ServerConnector sc = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
                sc.setHost(host);
                sc.setPort(port);
                sc.setIdleTimeout(idleTimeoutMs);
                return sc;
            });
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(handler -> handler.addFilter(
                    new org.eclipse.jetty.ee10.servlet.FilterHolder(new SecurityHeaders()), "/*",
                    java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST)));
            config.jetty.modifyServletContextHandler(handler -> handler.addFilter(
                    new org.eclipse.jetty.ee10.servlet.FilterHolder(new RequestIds()), "/*",
                    java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST)));
            // A known path with another method is a 405 (with Allow, below), not a 404.
            config.http.prefer405over404 = true;
            pages.accept(config);
            for (Route r : this.routes) {
                config.routes.addHttpHandler(handlerType(r.method()), r.path(), ctx -> {
                    ctx.req().setAttribute(ROUTE_ATTRIBUTE, r.path());
                    handle(ctx, r, keys, maxBodyBytes, limiter);
                });
            }
            if (observer != RequestObserver.NONE) {
                // After the exception mappers and error handlers: the status is the one sent.
                config.requestLogger.http((ctx, ms) -> observer.answered(
                        (String) ctx.req().getAttribute(ROUTE_ATTRIBUTE), ctx.req().getMethod(), ctx.statusCode(),
                        (long) (ms * 1_000_000L)));
            }
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            config.routes.exception(io.drover.errors.DomainException.class, (e, ctx) -> error(ctx, ApiError.from(e)));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                if (e instanceof MethodNotAllowedResponse) {
                    // Javalin lists the methods registered for the path, joined by ", ", as the one detail
                    List<String> allowed = e.getDetails().values().stream()
                            .flatMap(v -> java.util.Arrays.stream(v.split(",\\s*"))).filter(m -> !m.isEmpty())
                            .toList();
                    ctx.header("Allow", String.join(", ", allowed));
                    error(ctx, new ApiError(405, "method_not_allowed", "method " + ctx.req().getMethod()
                            + " is not allowed on " + ctx.path() + "; allowed: " + String.join(", ", allowed),
                            Map.of("allowed", allowed)));
                    return;
                }
                error(ctx, new ApiError(e.getStatus(), codeFor(e.getStatus()), e.getMessage(), Map.of()));
            });
            config.routes.exception(DbException.class, (e, ctx) -> {
                if (!e.isUnavailable()) {
                    log.error("unexpected database error on {} {}", ctx.method(), ctx.path(), e);
                    error(ctx, new ApiError(500, "internal_error", "unexpected server error; see the server log",
                            Map.of()));
                    return;
                }
                // PostgreSQL is restarting or unreachable: the client should try again, nothing is wrong with its request
                log.warn("database unavailable on {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
                ctx.header("Retry-After", "1");
                error(ctx, new ApiError(503, "database_unavailable",
                        "the database is unavailable right now; try again shortly", Map.of()));
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
                error(ctx, new ApiError(500, "internal_error", "unexpected server error; see the server log",
                        Map.of()));
            });
            config.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, new ApiError(404, "route_not_found", "no route " + ctx.method() + " " + ctx.path(),
                            Map.of()));
                }
            });
            config.routes.error(405, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, new ApiError(405, "method_not_allowed",
                            "method " + ctx.req().getMethod() + " is not allowed on " + ctx.path(), Map.of()));
                }
            });
        });
    }

    private static HandlerType handlerType(String method) {
        return switch (method) {
            case "GET" -> HandlerType.GET;
            case "POST" -> HandlerType.POST;
            case "PATCH" -> HandlerType.PATCH;
            case "DELETE" -> HandlerType.DELETE;
            case "PUT" -> HandlerType.PUT;
            default -> throw new IllegalArgumentException(method);
        };
    }

    private static void handle(Context ctx, Route route, Authenticator auth, long maxBody, RateLimiter limiter)
            throws Exception {
        // Refused before any handler runs: one that ignores its body (DELETE) must not act on an oversized request.
        if (ctx.req().getContentLengthLong() > maxBody) {
            throw Call.oversize(ctx, maxBody);
        }
        Principal principal = route.needsCaller() ? auth.authenticate(ctx, route) : null;
        if (principal != null) {
            long waitNanos = limiter.acquire(principal.keyId() != null ? principal.keyId() : principal.userId());
            if (waitNanos > 0) {
                long secs = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
                ctx.header("Retry-After", Long.toString(secs));
                throw new ApiError(429, "rate_limited", "too many requests for this API key; retry after " + secs
                        + " s", Map.of("retry_after_secs", secs));
            }
        }
        // the run or job a request works on, for its log lines (the filter clears them after the request)
        if (route.path().startsWith("/v1/runs/{id}")) {
            org.slf4j.MDC.put(MDC_RUN, ctx.pathParam("id"));
        } else if (route.path().startsWith("/v1/jobs/{job}")) {
            org.slf4j.MDC.put(MDC_JOB, ctx.pathParam("job"));
        }
        AuditContext.set(principal == null ? Actor.anonymous(ctx.ip())
                : principal.isUser() ? Actor.user(principal.userId(), ctx.ip())
                : Actor.apiKey(principal.keyId(), ctx.ip()));
        Reply reply;
        try {
            reply = route.handler().handle(new Call(ctx, principal, maxBody));
        } finally {
            AuditContext.clear();
        }
        drainUnread(ctx, maxBody);
        ctx.status(reply.status());
        if (log.isDebugEnabled()) {
            log.debug("{} {} answered {}", route.method(), route.path(), reply.status());
        }
        if (reply.body() instanceof String s) {
            ctx.contentType(reply.contentType()).result(s);
        } else if (reply.body() instanceof Reply.Streamed streamed) {
            ctx.contentType(reply.contentType());
            // Server-sent events go straight to Jetty's stream, each flush on the wire: Javalin's
            // compressing stream holds the first bytes back until it has enough to decide.
            try (java.io.OutputStream out = reply.contentType().startsWith("text/event-stream")
                    ? ctx.res().getOutputStream() : ctx.outputStream()) {
                streamed.writeTo(out);
            }
        } else if (reply.body() instanceof byte[] b) {
            send(ctx, reply.contentType(), b);
        } else {
            send(ctx, "application/json", Json.bytes(reply.body()));
        }
    }

    /**
     * Reads and drops what the handler left of the request body (a GET or DELETE that came with
     * one, or a handler that failed before reading it), before any answer is written, errors
     * included. An answer sent in one write is committed at once; if Jetty then found body bytes
     * still unread, it closed the connection, and a client still sending that body or holding the
     * connection in its pool lost the answer or its next request. The body is at most
     * {@code maxBody} (a larger Content-Length was refused before the handler ran); a chunked body
     * that goes on past that gets {@code Connection: close}. Handlers that read their body leave
     * nothing: one read that returns -1.
     */
    private static void drainUnread(Context ctx, long maxBody) {
        try {
            java.io.InputStream in = ctx.req().getInputStream();
            if (in.read() >= 0 && !Call.drainUpTo(in, maxBody)) {
                ctx.header("Connection", "close");
            }
        } catch (java.io.IOException e) {
            ctx.header("Connection", "close"); // the client went away or sent a broken body
        }
    }

    /**
     * Sends a body held in memory. A client that accepts no compressed encoding (the SDK's) gets it
     * in one write with its Content-Length; through Javalin's result stream it was copied through the
     * compressing wrapper and, for answers over the buffer (claims of a hundred runs), sent chunked,
     * which both ends then paid for per request. Clients that may get a compressed answer still go
     * through Javalin, unchanged.
     */
    private static void send(Context ctx, String contentType, byte[] body) throws java.io.IOException {
        if (ctx.req().getHeader("Accept-Encoding") != null) {
            ctx.contentType(contentType).result(body);
            return;
        }
        ctx.contentType(contentType);
        ctx.res().setContentLength(body.length);
        ctx.res().getOutputStream().write(body);
    }

    private void error(Context ctx, ApiError e) {
        drainUnread(ctx, maxBodyBytes);
        if (e.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"drover\"");
        }
        ObjectNode err = Json.object();
        ObjectNode inner = err.putObject("error");
        inner.put("code", e.code());
        inner.put("message", e.getMessage());
        inner.set("details", Json.MAPPER.valueToTree(e.details()));
        ctx.status(e.status()).contentType("application/json").result(Json.bytes(err));
    }

    private static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 429 -> "too_many_requests";
            case 431 -> "headers_too_large";
            default -> "http_" + status;
        };
    }

    /**
     * Errors that Jetty answers itself before any route runs (a malformed or ambiguous URI, a URI
     * or headers over its limits): the same error shape as every other answer, for every method.
     */
    static final class JsonErrorHandler extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(org.eclipse.jetty.server.Request request,
                org.eclipse.jetty.server.Response response, int code, String message, Throwable cause,
                org.eclipse.jetty.util.Callback callback) {
            String reason = org.eclipse.jetty.http.HttpStatus.getMessage(code);
            ObjectNode err = Json.object();
            ObjectNode inner = err.putObject("error");
            inner.put("code", codeFor(code));
            inner.put("message", message == null || message.equals(reason) ? reason : reason + ": " + message);
            inner.putObject("details");
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put("X-Content-Type-Options", "nosniff");
            response.getHeaders().put("Content-Security-Policy", SecurityHeaders.API_CSP);
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CACHE_CONTROL, "no-store");
            // Jetty closes the connection after an error it answers itself (it may not even know where
            // the request's body ends) but does not say so; a client that pooled the connection then
            // lost its next request ("header parser received no bytes"). Said, the client opens a new one.
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONNECTION,
                    org.eclipse.jetty.http.HttpHeaderValue.CLOSE.asString());
            response.write(true, java.nio.ByteBuffer.wrap(Json.bytes(err)), callback);
        }
    }

    public HttpApi start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    public void stop() {
        app.stop();
    }

    public List<Route> routes() {
        return routes;
    }
}
