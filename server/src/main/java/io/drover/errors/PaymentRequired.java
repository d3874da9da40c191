package io.drover.errors;

import java.util.Map;

/** A spending limit refuses the request (a budget with action reject): HTTP 402 with the given code. */
public class PaymentRequired extends DomainException {
    public PaymentRequired(String code, String message, Map<String, Object> details) {
        super(code, message, details);
    }
}
