package io.drover.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON array of runs (the claim answer) straight from the parser, field by field, into
 * {@link Run}s. Jackson's general bean deserializer did the same work at several times the cost:
 * it was the largest part of the SDK's CPU per claimed run, and its big generic methods were
 * compiled again and again by C2 as other bean types went through them. Anything this reader
 * does not expect (a field of another JSON type, a timestamp in another form) makes it give up
 * with {@link Unexpected}, and the caller reads the answer with Jackson instead, so the result is
 * always what the mapper would give.
 */
final class RunReader {

    /** Thrown for any input outside the plain shape; the caller falls back to Jackson. */
    static final class Unexpected extends RuntimeException {
        Unexpected(String what) {
            super(what, null, false, false);
        }
    }

    private static final Map<String, RunStatus> STATUSES = new HashMap<>();

    static {
        for (RunStatus s : RunStatus.values()) {
            STATUSES.put(s.wireName(), s);
        }
    }

    private final ObjectReader treeReader;
    private final ObjectReader errorReader;

    RunReader(ObjectMapper mapper) {
        this.treeReader = mapper.readerFor(JsonNode.class);
        this.errorReader = mapper.readerFor(ErrorInfo.class);
    }

    /** Reads the array the parser's current token starts; null for a JSON null (as Jackson gives). */
    List<Run> readList(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_ARRAY) {
            throw new Unexpected("not an array");
        }
        List<Run> out = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw new Unexpected("not an object");
            }
            out.add(readRun(p));
        }
        return out;
    }

    /**
     * Reads the array of a batched completion's answer ({@code [{run_id, ok, status, error}]}),
     * one per reported run, as {@link #readList} reads runs; null for a JSON null.
     */
    List<OutcomeResult> readOutcomeResults(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_ARRAY) {
            throw new Unexpected("not an array");
        }
        List<OutcomeResult> out = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw new Unexpected("not an object");
            }
            String runId = null;
            boolean ok = false;
            RunStatus status = null;
            ApiError error = null;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "run_id" -> runId = string(p);
                    case "ok" -> ok = bool(p);
                    case "status" -> status = status(p);
                    case "error" -> error = apiError(p);
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new Unexpected("unterminated object");
            }
            out.add(new OutcomeResult(runId, ok, status, error));
        }
        return out;
    }

    private static boolean bool(JsonParser p) {
        return switch (p.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            default -> throw new Unexpected("not a boolean");
        };
    }

    private static ApiError apiError(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw new Unexpected("not an object");
        }
        String code = null;
        String message = null;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "code" -> code = string(p);
                case "message" -> message = string(p);
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new Unexpected("unterminated object");
        }
        return new ApiError(code, message);
    }

    private Run readRun(JsonParser p) throws IOException {
        String id = null;
        String jobId = null;
        String jobSlug = null;
        Integer jobVersion = null;
        String queue = null;
        RunStatus status = null;
        int attempt = 0;
        int maxAttempts = 0;
        int priority = 0;
        JsonNode payload = null;
        JsonNode metadata = null;
        JsonNode result = null;
        ErrorInfo error = null;
        String idempotencyKey = null;
        String concurrencyKey = null;
        String workerId = null;
        Instant scheduledAt = null;
        Instant nextRetryAt = null;
        Instant leaseExpiresAt = null;
        Instant createdAt = null;
        Instant startedAt = null;
        Instant finishedAt = null;
        String replayOf = null;
        String workflowRunId = null;
        String stepId = null;
        String parentRunId = null;
        String continuationOf = null;
        Integer lineageDepth = null;
        JsonNode children = null;
        JsonNode checkpoint = null;
        JsonNode event = null;
        String traceparent = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "id" -> id = string(p);
                case "job_id" -> jobId = string(p);
                case "job_slug" -> jobSlug = string(p);
                case "job_version" -> jobVersion = p.currentToken() == JsonToken.VALUE_NULL ? null : integer(p);
                case "queue" -> queue = string(p);
                case "status" -> status = status(p);
                case "attempt" -> attempt = integer(p);
                case "max_attempts" -> maxAttempts = integer(p);
                case "priority" -> priority = integer(p);
                case "payload" -> payload = tree(p);
                case "metadata" -> metadata = tree(p);
                case "result" -> result = tree(p);
                case "error" -> error = p.currentToken() == JsonToken.VALUE_NULL ? null : errorReader.readValue(p);
                case "idempotency_key" -> idempotencyKey = string(p);
                case "concurrency_key" -> concurrencyKey = string(p);
                case "worker_id" -> workerId = string(p);
                case "scheduled_at" -> scheduledAt = instant(p);
                case "next_retry_at" -> nextRetryAt = instant(p);
                case "lease_expires_at" -> leaseExpiresAt = instant(p);
                case "created_at" -> createdAt = instant(p);
                case "started_at" -> startedAt = instant(p);
                case "finished_at" -> finishedAt = instant(p);
                case "replay_of" -> replayOf = string(p);
                case "workflow_run_id" -> workflowRunId = string(p);
                case "step_id" -> stepId = string(p);
                case "parent_run_id" -> parentRunId = string(p);
                case "continuation_of" -> continuationOf = string(p);
                case "lineage_depth" -> lineageDepth = p.currentToken() == JsonToken.VALUE_NULL ? null : integer(p);
                case "children" -> children = p.currentToken() == JsonToken.VALUE_NULL ? null : tree(p);
                case "checkpoint" -> checkpoint = p.currentToken() == JsonToken.VALUE_NULL ? null : tree(p);
                case "event" -> event = p.currentToken() == JsonToken.VALUE_NULL ? null : tree(p);
                case "traceparent" -> traceparent = string(p);
                default -> p.skipChildren(); // a field this SDK does not know (the server may add some)
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new Unexpected("unterminated object");
        }
        return new Run(id, jobId, jobSlug, jobVersion, queue, status, attempt, maxAttempts, priority, payload,
                metadata, result, error, idempotencyKey, concurrencyKey, workerId, scheduledAt, nextRetryAt,
                leaseExpiresAt, createdAt, startedAt, finishedAt, replayOf, workflowRunId, stepId, parentRunId,
                continuationOf, lineageDepth, children, checkpoint, event, traceparent);
    }

    private static String string(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        throw new Unexpected("not a string");
    }

    private static int integer(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new Unexpected("not an int");
        }
        return p.getIntValue();
    }

    private static RunStatus status(JsonParser p) throws IOException {
        String s = string(p);
        if (s == null) {
            return null;
        }
        RunStatus status = STATUSES.get(s);
        return status == null ? RunStatus.UNKNOWN : status;
    }

    private static Instant instant(JsonParser p) throws IOException {
        String s = string(p);
        if (s == null) {
            return null;
        }
        Instant i = Rfc3339.parse(s);
        if (i == null) {
            throw new Unexpected("not a plain RFC 3339 time");
        }
        return i;
    }

    /** A JSON value as Jackson's tree; JSON null is a NullNode, as Jackson gives for JsonNode fields. */
    private JsonNode tree(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return NullNode.getInstance();
        }
        return treeReader.readValue(p);
    }
}
