package io.drover.errors;

import java.util.Map;

/** A request the domain cannot read at all (e.g. a body that is not an object): HTTP 400. */
public final class Malformed extends DomainException {
    public Malformed(String code, String message, Map<String, Object> details) {
        super(code, message, details);
    }
}
