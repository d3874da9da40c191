package io.drover.errors;

import java.util.Map;

/** The caller is known but its role may not do this: HTTP 403 {@code forbidden}. */
public final class Forbidden extends DomainException {
    public Forbidden(String message) {
        super("forbidden", message, Map.of());
    }
}
