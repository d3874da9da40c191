package io.drover.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Jobs' {@code output_schema} (JSON Schema, draft 2020-12 unless the schema's {@code $schema}
 * names another draft), checked with networknt's json-schema-validator: the schema itself against
 * its meta-schema when a job is created or changed, and each completion's result against the
 * schema of the run's job version. Schemas are compiled once per job version (versions are
 * immutable) and kept. Nothing is fetched from the network: a {@code $ref} may point inside the
 * schema or at the bundled meta-schemas only.
 */
public final class OutputSchemas {
    /** At most this many problems are named in an answer. */
    static final int MAX_PROBLEMS = 10;
    private static final SchemaRegistryConfig CONFIG = SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH)
            .build();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(CONFIG).schemaLoader(l -> l.fetchRemoteResources(false)
                    .block(iri -> !isMetaSchema(iri.toString()))));
    private static final Map<String, Schema> COMPILED = new ConcurrentHashMap<>();

    private OutputSchemas() {}

    /** One way a value does not match: where (a JSON path such as {@code $.answer}) and why. */
    public record Problem(String path, String message) {}

    private static boolean isMetaSchema(String iri) {
        return iri.startsWith("https://json-schema.org/") || iri.startsWith("http://json-schema.org/");
    }

    /**
     * What is wrong with a schema (empty when it is a valid JSON Schema that compiles): checked
     * against the meta-schema of its draft, then compiled.
     */
    public static List<Problem> checkSchema(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            return List.of(new Problem("$", "a JSON Schema is an object (or a boolean)"));
        }
        String dialect = SpecificationVersion.fromSchemaNode(schema).orElse(SpecificationVersion.DRAFT_2020_12)
                .getDialectId();
        if (schema.isObject() && schema.has("$schema") && SpecificationVersion.fromSchemaNode(schema).isEmpty()) {
            return List.of(new Problem("$.$schema", "names no JSON Schema draft this server knows (4, 6, 7, "
                    + "2019-09, 2020-12)"));
        }
        try {
            Schema meta = REGISTRY.getSchema(SchemaLocation.of(dialect));
            List<Problem> problems = problems(meta.validate(schema));
            if (!problems.isEmpty()) {
                return problems;
            }
            Schema compiled = REGISTRY.getSchema(schema);
            compiled.initializeValidators(); // resolves every $ref now, not at the first completion
            return List.of();
        } catch (RuntimeException e) {
            return List.of(new Problem("$", "cannot be compiled: " + e.getMessage()));
        }
    }

    /** The problems of a result against the schema of a job version (compiled on first use). */
    public static List<Problem> check(UUID jobId, int version, JsonNode schema, JsonNode result) {
        Schema compiled = COMPILED.computeIfAbsent(jobId + "/" + version, k -> {
            Schema s = REGISTRY.getSchema(schema);
            s.initializeValidators();
            return s;
        });
        return problems(compiled.validate(result));
    }

    private static List<Problem> problems(List<Error> errors) {
        List<Problem> out = new ArrayList<>();
        for (Error e : errors) {
            if (out.size() == MAX_PROBLEMS) {
                break;
            }
            String path = e.getInstanceLocation() == null ? "$" : e.getInstanceLocation().toString();
            // A missing property is reported on its parent; name the property itself.
            if ("required".equals(e.getKeyword()) && e.getProperty() != null) {
                path = path + "." + e.getProperty();
            }
            out.add(new Problem(path, e.getMessage()));
        }
        return out;
    }
}
