package io.drover.http;

import io.drover.access.Principal;
import io.javalin.http.Context;

/**
 * Decides who a request comes from and whether its role is enough for the route; throws an
 * {@link ApiError} (401/403/404) otherwise. {@code io.drover.identity} implements it; the HTTP
 * layer only knows this interface, so it does not depend on identity.
 */
public interface Authenticator {
    Principal authenticate(Context ctx, Route route);
}
