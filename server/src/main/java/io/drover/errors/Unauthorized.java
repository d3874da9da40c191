package io.drover.errors;

import java.util.Map;

/** The caller is not who it must be (wrong credentials): HTTP 401. */
public final class Unauthorized extends DomainException {
    public Unauthorized(String code, String message) {
        super(code, message, Map.of());
    }
}
