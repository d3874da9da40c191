package io.drover.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 document, made from the same route table that the server registers, so a
 * route cannot exist without being documented. Bodies are described loosely (objects); the
 * field-level reference is API.md and the README.
 */
public final class OpenApi {
    private static final Pattern PARAM = Pattern.compile("\\{([a-z_]+)}");

    private OpenApi() {}

    public static ObjectNode document(List<Route> routes, String version) {
        ObjectNode doc = Json.object();
        doc.put("openapi", "3.1.0");
        doc.putObject("info").put("title", "Drover API").put("version", version)
                .put("description", "Jobs, runs, workers and schedules on PostgreSQL. Errors are "
                        + "{\"error\": {\"code\", \"message\", \"details\"}}; lists take limit and cursor.");
        ObjectNode schemes = doc.putObject("components").putObject("securitySchemes");
        schemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
        schemes.putObject("session").put("type", "apiKey").put("in", "cookie").put("name", "drover_session")
                .put("description", "from POST /v1/auth/login; writes also need the X-CSRF-Token header");
        ObjectNode paths = doc.putObject("paths");
        for (Route r : routes) {
            ObjectNode path = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            ObjectNode op = path.putObject(r.method().toLowerCase());
            op.put("summary", r.summary());
            op.put("operationId", operationId(r));
            if (r.needsCaller()) {
                ArrayNode security = op.putArray("security");
                security.addObject().putArray("bearer");
                security.addObject().putArray("session");
                op.put("x-drover-min-role", r.role() == null ? "any signed-in caller" : r.role().db());
            } else {
                op.putArray("security");
            }
            ArrayNode params = op.putArray("parameters");
            Matcher m = PARAM.matcher(r.path());
            while (m.find()) {
                params.addObject().put("name", m.group(1)).put("in", "path").put("required", true)
                        .putObject("schema").put("type", "string");
            }
            if (r.method().equals("POST") || r.method().equals("PATCH")) {
                op.putObject("requestBody").putObject("content").putObject("application/json")
                        .putObject("schema").put("type", "object");
            }
            ObjectNode responses = op.putObject("responses");
            responses.putObject("2XX").put("description", "success");
            responses.putObject("4XX").put("description", "error: {\"error\": {code, message, details}}");
        }
        return doc;
    }

    private static String operationId(Route r) {
        String base = r.path().replaceAll("[{}]", "").replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
        return r.method().toLowerCase() + "_" + base;
    }
}
