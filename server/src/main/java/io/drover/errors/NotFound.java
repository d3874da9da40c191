package io.drover.errors;

import java.util.Map;

/** The named thing does not exist (or is not visible to the caller): HTTP 404 {@code not_found}. */
public final class NotFound extends DomainException {
    public NotFound(String what, String id) {
        super("not_found", what + " " + id + " not found", Map.of("id", id));
    }

    /** Not found under another code (an unknown one-time token: {@code invalid_token}). */
    public NotFound(String code, String message, Map<String, Object> details) {
        super(code, message, details);
    }
}
