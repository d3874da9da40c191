package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * Thrown when the server answered with a non-2xx status. It carries the parts of the error body
 * {@code {"error": {"code", "message", "details"}}}; when the body is not in that shape (a proxy's
 * HTML page, say) the code is {@code http_<status>} and the message is the start of the body.
 */
public class DroverApiException extends DroverException {

    private static final int MAX_RAW_MESSAGE = 500;

    private final int httpStatus;
    private final String code;
    private final String errorMessage;
    private final JsonNode details;

    /**
     * Creates an API exception from already parsed parts.
     *
     * @param httpStatus the HTTP status code
     * @param code the snake_case error code
     * @param errorMessage the server's human-readable message
     * @param details extra fields, such as the failing field of a validation error; may be null
     */
    public DroverApiException(int httpStatus, String code, String errorMessage, JsonNode details) {
        super("HTTP " + httpStatus + " " + code + ": " + errorMessage, null);
        this.httpStatus = httpStatus;
        this.code = code;
        this.errorMessage = errorMessage;
        this.details = details == null ? NullNode.getInstance() : details;
    }

    /**
     * Parses an error response body into an exception, never failing on an unexpected body.
     *
     * @param httpStatus the HTTP status code
     * @param body the raw response body, possibly empty
     * @param mapper the mapper used to read the body
     * @return the exception to throw
     */
    public static DroverApiException fromResponse(int httpStatus, String body, ObjectMapper mapper) {
        JsonNode error = NullNode.getInstance();
        try {
            if (body != null && !body.isBlank()) {
                error = mapper.readTree(body).path("error");
            }
        } catch (Exception notJson) {
            // Fall through to the raw-body message below: a non-JSON error body is still an error.
        }
        if (error.isObject() && error.path("code").isTextual()) {
            return new DroverApiException(httpStatus, error.path("code").asText(),
                    error.path("message").asText(""), error.get("details"));
        }
        String raw = body == null || body.isBlank() ? "no error body" : body.strip();
        if (raw.length() > MAX_RAW_MESSAGE) {
            raw = raw.substring(0, MAX_RAW_MESSAGE) + "...";
        }
        return new DroverApiException(httpStatus, "http_" + httpStatus, raw, null);
    }

    /** @return the HTTP status code, such as 404 or 409 */
    public int httpStatus() {
        return httpStatus;
    }

    /** @return the snake_case error code, such as {@code not_found} */
    public String code() {
        return code;
    }

    /** @return the server's message, without the status and code that {@link #getMessage()} adds */
    public String errorMessage() {
        return errorMessage;
    }

    /** @return the error details object, or a {@link NullNode} when the server sent none */
    public JsonNode details() {
        return details;
    }
}
