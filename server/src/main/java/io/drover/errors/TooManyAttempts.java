package io.drover.errors;

import java.util.Map;

/** Refused for now because of too many recent attempts: HTTP 429, with {@code retry_after_secs}. */
public final class TooManyAttempts extends DomainException {
    public TooManyAttempts(String code, String message, long retryAfterSecs) {
        super(code, message, Map.of("retry_after_secs", retryAfterSecs));
    }
}
