package io.drover.http;

import io.drover.identity.Role;

/**
 * One endpoint: method, path (Javalin syntax, {@code {id}} for parameters), the lowest role that
 * may call it (null: no key needed), a one-line summary for the OpenAPI document, and the handler.
 */
public record Route(String method, String path, Role role, String summary, Handler handler) {
    @FunctionalInterface
    public interface Handler {
        Reply handle(Call call) throws Exception;
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
}
