package io.drover.errors;

import java.util.Map;

/** A one-time thing (a token) that existed and can no longer be used: HTTP 410. */
public final class Gone extends DomainException {
    public Gone(String code, String message) {
        super(code, message, Map.of());
    }
}
