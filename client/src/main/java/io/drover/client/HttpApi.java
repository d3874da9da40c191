package io.drover.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Sends one JSON request, turns the answer into a tree or an exception, and maps trees to types; no retries here. */
final class HttpApi {

    static final String USER_AGENT = "drover-java/0.1";

    private final HttpClient http;
    private final ObjectMapper mapper;
    private final String baseUrl;
    private final String apiKey;
    private final Duration requestTimeout;
    /** One reader per element type: building a reader resolves the type's deserializers each time. */
    private final ConcurrentHashMap<Class<?>, ObjectReader> listReaders = new ConcurrentHashMap<>();
    /** Claimed runs, the SDK's most read type, skip Jackson's bean deserializer (see {@link RunReader}). */
    private final RunReader runReader;

    /** The transport for http:// servers; null for https:// (the JDK client then). */
    private final PlainHttp plain;

    HttpApi(HttpClient http, PlainHttp plain, ObjectMapper mapper, String baseUrl, String apiKey, Duration requestTimeout) {
        this.http = http;
        this.plain = plain;
        this.mapper = mapper;
        this.runReader = new RunReader(mapper);
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.requestTimeout = requestTimeout;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    JsonNode send(String method, String path, Object body, Duration timeout) {
        return parse(text(exchange(method, path, body, timeout)));
    }

    /**
     * Sends a request and maps the array under {@code field} of the answer to a list, straight from
     * the bytes. The worker's hot calls (claim, complete, heartbeat, batch trigger) use this: going
     * through a JsonNode tree first and converting it cost about a fifth of the SDK's CPU in the
     * throughput benchmark. An answer of another shape takes the tree path, with the same result
     * or the same error as {@code readList(send(...).path(field), type)}.
     */
    <T> List<T> sendForList(String method, String path, Object body, Duration timeout, String field, Class<T> type) {
        byte[] answer = exchange(method, path, body, timeout);
        try {
            List<T> list = readField(answer, field, type);
            if (list != null) {
                return list;
            }
        } catch (IOException | RuntimeException e) {
            // not the expected shape: fall through to the tree path
        }
        return readList(parse(text(answer)).path(field), type);
    }

    private ObjectReader listReader(Class<?> type) {
        return listReaders.computeIfAbsent(type,
                t -> mapper.readerFor(mapper.getTypeFactory().constructCollectionType(List.class, t)));
    }

    /**
     * Reads one top-level field of a JSON object as a list of {@code type}, skipping the others
     * token by token (cheaper than a filtering parser); null when the answer is not an object or
     * lacks it. Runs are read by {@link RunReader}, the rest by Jackson.
     */
    @SuppressWarnings("unchecked")
    private <T> List<T> readField(byte[] answer, String field, Class<T> type) throws IOException {
        try (JsonParser p = mapper.getFactory().createParser(answer)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(field)) {
                    if (type == Run.class) {
                        return (List<T>) runReader.readList(p);
                    }
                    if (type == OutcomeResult.class) {
                        return (List<T>) runReader.readOutcomeResults(p);
                    }
                    return listReader(type).readValue(p);
                }
                p.skipChildren();
            }
            return null;
        }
    }

    /** One exchange: the body of a 2xx answer, or the exception that the answer or its absence means. */
    private byte[] exchange(String method, String path, Object body, Duration timeout) {
        if (plain != null) {
            return plainExchange(method, path, body, timeout);
        }
        HttpRequest request = build(method, path, body, timeout);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new DroverTransportException(method + " " + path + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DroverTransportException(method + " " + path + " interrupted", e);
        }
        return answer(response.statusCode(), response.body());
    }

    /** The same exchange over {@link PlainHttp} (http:// servers). */
    private byte[] plainExchange(String method, String path, Object body, Duration timeout) {
        URI uri = uri(path);
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        PlainHttp.Answer answer;
        try {
            answer = plain.exchange(method, target, body == null ? null : json(method, path, body), timeout);
        } catch (java.io.InterruptedIOException e) {
            if (!(e instanceof java.net.SocketTimeoutException)) {
                Thread.currentThread().interrupt();
                throw new DroverTransportException(method + " " + path + " interrupted", e);
            }
            throw new DroverTransportException(method + " " + path + " failed: " + describe(e), e);
        } catch (IOException e) {
            throw new DroverTransportException(method + " " + path + " failed: " + describe(e), e);
        }
        return answer(answer.status(), answer.body());
    }

    private byte[] answer(int status, byte[] body) {
        if (status < 200 || status > 299) {
            throw DroverApiException.fromResponse(status, text(body), mapper);
        }
        return body;
    }

    private byte[] json(String method, String path, Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new DroverException("cannot write the body of " + method + " " + path + ": " + e.getMessage(), e);
        }
    }

    private static String text(byte[] body) {
        return body == null ? null : new String(body, StandardCharsets.UTF_8);
    }

    <T> T read(JsonNode node, Class<T> type) {
        return convert(node, mapper.getTypeFactory().constructType(type));
    }

    <T> List<T> readList(JsonNode node, Class<T> type) {
        List<T> list = convert(node, mapper.getTypeFactory().constructCollectionType(List.class, type));
        return list == null ? List.of() : list;
    }

    <T> Page<T> readPage(JsonNode node, Class<T> type) {
        return convert(node, mapper.getTypeFactory().constructParametricType(Page.class, type));
    }

    private <T> T convert(JsonNode node, JavaType type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        try {
            return mapper.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw new DroverException("unexpected answer from the server, not a " + type.getTypeName()
                    + ": " + e.getMessage(), e);
        }
    }

    private HttpRequest build(String method, String path, Object body, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path))
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("User-Agent", USER_AGENT);
        if (apiKey != null && !apiKey.isBlank()) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        byte[] json = json(method, path, body);
        return builder.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(json))
                .build();
    }

    private URI uri(String path) {
        String slash = path.startsWith("/") ? "" : "/";
        try {
            return URI.create(baseUrl + slash + path);
        } catch (IllegalArgumentException e) {
            throw new DroverException("invalid request path: " + path, e);
        }
    }

    /** A 2xx answer is never an error, so a body that is not JSON comes back as text. */
    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(body);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }
}
