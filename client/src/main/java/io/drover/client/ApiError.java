package io.drover.client;

/**
 * An error code and message, as returned for one item of a batch call.
 *
 * @param code the snake_case error code, such as {@code conflict}
 * @param message the human-readable message
 */
public record ApiError(String code, String message) {
}
