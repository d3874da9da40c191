package io.drover.errors;

import java.util.Map;

/** The request is valid but the current state refuses it: HTTP 409 with the given code. */
public class Conflict extends DomainException {
    public Conflict(String code, String message, Map<String, Object> details) {
        super(code, message, details);
    }
}
