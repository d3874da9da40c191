package io.drover.ui;

import io.drover.access.Role;
import io.drover.http.Route;

/**
 * One dashboard route: method, path, the lowest role that may use it (checked by the same
 * authenticator as the API, so sessions and CSRF follow the API's rules), and its handler. A
 * {@code nav} label puts the page in the menu. A new page is one of these and one template.
 */
public record UiRoute(String method, String path, Role role, String nav, Handler handler) {
    @FunctionalInterface
    public interface Handler {
        View handle(UiCall call) throws Exception;
    }

    public static UiRoute page(String path, String nav, Handler h) {
        return new UiRoute("GET", path, Role.VIEWER, nav, h);
    }

    public static UiRoute get(String path, Role role, Handler h) {
        return new UiRoute("GET", path, role, null, h);
    }

    public static UiRoute post(String path, Role role, Handler h) {
        return new UiRoute("POST", path, role, null, h);
    }

    /** The route as the authenticator sees it (its role, its method for the CSRF rule). */
    Route asApiRoute() {
        return new Route(method, path, role, "dashboard " + path, c -> null);
    }
}
