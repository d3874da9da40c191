package io.drover.http;

import io.drover.access.Role;

/**
 * One endpoint: method, path (Javalin syntax, {@code {id}} for parameters), the lowest role that
 * may call it (null: no key needed), a one-line summary for the OpenAPI document, and the handler.
 * An {@code account} route needs a signed-in caller (key or session) but no role in a project:
 * {@code GET /v1/me}, logout, the list of one's projects.
 */
public record Route(String method, String path, Role role, String summary, Handler handler, boolean account) {
    @FunctionalInterface
    public interface Handler {
        Reply handle(Call call) throws Exception;
    }

    public Route(String method, String path, Role role, String summary, Handler handler) {
        this(method, path, role, summary, handler, false);
    }

    public static Route get(String path, Role role, String summary, Handler h) {
        return new Route("GET", path, role, summary, h);
    }

    public static Route post(String path, Role role, String summary, Handler h) {
        return new Route("POST", path, role, summary, h);
    }

    public static Route patch(String path, Role role, String summary, Handler h) {
        return new Route("PATCH", path, role, summary, h);
    }

    public static Route delete(String path, Role role, String summary, Handler h) {
        return new Route("DELETE", path, role, summary, h);
    }

    public static Route put(String path, Role role, String summary, Handler h) {
        return new Route("PUT", path, role, summary, h);
    }

    /** A route for any signed-in caller, whatever their project role. */
    public static Route account(String method, String path, String summary, Handler h) {
        return new Route(method, path, null, summary, h, true);
    }

    public boolean needsCaller() {
        return role != null || account;
    }
}
