package io.drover.errors;

import java.util.Map;

/** A well-formed value that the domain refuses: HTTP 422 (by default {@code validation_failed}, naming the field). */
public final class Invalid extends DomainException {
    public Invalid(String field, String message) {
        super("validation_failed", field + ": " + message, Map.of("field", field));
    }

    public Invalid(String code, String message, Map<String, Object> details) {
        super(code, message, details);
    }
}
