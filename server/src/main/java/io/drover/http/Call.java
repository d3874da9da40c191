package io.drover.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Principal;
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

    /**
     * The body as sent, for handlers that check a signature over its bytes (inbound events); over
     * the size limit is a 413. Read it once, instead of {@link #body()}.
     */
    public byte[] rawBody() {
        return readBody();
    }

    private byte[] readBody() {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBody) {
            throw oversize(ctx, maxBody);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1));
            if (data.length > maxBody) {
                drain(in, maxBody);
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

    /**
     * The 413 for a request whose body is over the limit, after reading and dropping what the
     * client still sends (up to 8 times the limit): a server that answers and closes while the
     * client is mid-upload resets the connection, and the client never sees the 413.
     */
    static ApiError oversize(Context ctx, long maxBody) {
        try (InputStream in = ctx.req().getInputStream()) {
            drain(in, maxBody);
        } catch (IOException e) {
            // the client went away; the answer below is all that is left to try
        }
        return tooLarge(maxBody);
    }

    /** Past the limit, up to 8x the limit is read and dropped so that the client can finish sending and read the 413. */
    private static void drain(InputStream in, long maxBody) {
        drainUpTo(in, 8 * maxBody);
    }

    /**
     * Reads and drops up to {@code limit} bytes of what is left of a request body; true when the
     * body ended within them, false when more is left or the stream failed (the client went away).
     */
    static boolean drainUpTo(InputStream in, long limit) {
        try {
            long left = limit;
            byte[] buf = new byte[64 * 1024];
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                left -= n;
            }
            return left > 0 || in.read() < 0;
        } catch (IOException e) {
            return false;
        }
    }

    static ApiError tooLarge(long maxBody) {
        return new ApiError(413, "body_too_large", "request body is larger than " + maxBody + " bytes",
                Map.of("limit_bytes", maxBody));
    }
}
