package io.drover.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.identity.Principal;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.UUID;

/** One request as a handler sees it: the caller, path and query parameters, and the parsed body. */
public final class Call {
    private final Context ctx;
    private final Principal principal;
    private final long maxBody;
    private JsonNode body;

    Call(Context ctx, Principal principal, long maxBody) {
        this.ctx = ctx;
        this.principal = principal;
        this.maxBody = maxBody;
    }

    public Principal principal() {
        return principal;
    }

    public UUID projectId() {
        return principal.projectId();
    }

    public Context ctx() {
        return ctx;
    }

    public String path(String name) {
        return ctx.pathParam(name);
    }

    /** A path parameter that must be a UUID; anything else names no run, so it is a 404. */
    public UUID pathUuid(String name, String what) {
        String v = ctx.pathParam(name);
        try {
            if (v.length() == 36) {
                return UUID.fromString(v);
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw ApiError.notFound(what, v.length() > 80 ? v.substring(0, 80) + "..." : v);
    }

    public String query(String name) {
        return ctx.queryParam(name);
    }

    /** The body parsed as JSON (cached); over the size limit is a 413, malformed JSON a 400. */
    public JsonNode body() {
        if (body == null) {
            body = Json.parse(readBody());
        }
        return body;
    }

    private byte[] readBody() {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBody) {
            throw tooLarge();
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1));
            if (data.length > maxBody) {
                throw tooLarge();
            }
            return data;
        } catch (IOException e) {
            throw ApiError.badRequest("unreadable_body", "the request body could not be read", Map.of());
        }
    }

    private ApiError tooLarge() {
        return tooLarge(maxBody);
    }

    static ApiError tooLarge(long maxBody) {
        return new ApiError(413, "body_too_large", "request body is larger than " + maxBody + " bytes",
                Map.of("limit_bytes", maxBody));
    }
}
