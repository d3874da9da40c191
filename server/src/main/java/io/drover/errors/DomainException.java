package io.drover.errors;

import java.util.Map;

/**
 * A refusal by a store or a domain class: a stable code, a message for people and details for
 * programs. Stores throw these, not {@code io.drover.http.ApiError}; {@code HttpApi} maps each kind
 * to its HTTP status in one place ({@code ApiError.from}), so the answers are those of API.md.
 */
public abstract class DomainException extends RuntimeException {
    private final String code;
    private final Map<String, Object> details;

    protected DomainException(String code, String message, Map<String, Object> details) {
        super(message, null, false, false);
        this.code = code;
        this.details = details == null ? Map.of() : details;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }
}
