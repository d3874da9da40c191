package io.drover.http;

import java.util.Map;

/**
 * An error answered to the client as {@code {"error": {"code", "message", "details"}}}. Thrown
 * from anywhere below the HTTP layer; {@link HttpApi} renders it in one place.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final Map<String, Object> details;

    public ApiError(int status, String code, String message, Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details == null ? Map.of() : details;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }

    /**
     * The HTTP answer to a domain refusal: 404 not found, 409 conflict, 400 malformed, 401
     * unauthorized, 402 payment required (a budget), 403 forbidden, 410 gone, 429 too many attempts, 422
     * invalid.
     */
    public static ApiError from(io.drover.errors.DomainException e) {
        int status = switch (e) {
            case io.drover.errors.NotFound x -> 404;
            case io.drover.errors.Conflict x -> 409;
            case io.drover.errors.Malformed x -> 400;
            case io.drover.errors.Unauthorized x -> 401;
            case io.drover.errors.Forbidden x -> 403;
            case io.drover.errors.Gone x -> 410;
            case io.drover.errors.TooManyAttempts x -> 429;
            case io.drover.errors.PaymentRequired x -> 402;
            default -> 422;
        };
        return new ApiError(status, e.code(), e.getMessage(), e.details());
    }

    public static ApiError badRequest(String code, String message, Map<String, Object> details) {
        return new ApiError(400, code, message, details);
    }

    /** A body field of the wrong JSON type (400, naming the field). */
    public static ApiError wrongType(String field, String expected) {
        return new ApiError(400, "invalid_type", field + " must be " + expected, Map.of("field", field,
                "expected", expected));
    }

    /** A well-formed value that fails validation (422, naming the field). */
    public static ApiError invalid(String field, String message) {
        return new ApiError(422, "validation_failed", field + ": " + message, Map.of("field", field));
    }

    public static ApiError notFound(String what, String id) {
        return new ApiError(404, "not_found", what + " " + id + " not found", Map.of("id", id));
    }

    public static ApiError conflict(String code, String message, Map<String, Object> details) {
        return new ApiError(409, code, message, details);
    }

    public static ApiError unauthorized(String message) {
        return new ApiError(401, "unauthorized", message, Map.of());
    }

    public static ApiError forbidden(String message) {
        return new ApiError(403, "forbidden", message, Map.of());
    }
}
