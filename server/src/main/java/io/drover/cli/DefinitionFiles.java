package io.drover.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads job and workflow definitions from YAML or JSON files: one definition, a list of them, or
 * several YAML documents separated by {@code ---}. JSON is read by the YAML parser too (it is YAML).
 * A definition's {@code kind} is {@code job} or {@code workflow} (the default); it is taken off the
 * body that goes to the server.
 */
final class DefinitionFiles {
    static final String JOB = "job";
    static final String WORKFLOW = "workflow";

    /** One definition: its kind, slug, the body for the server, and the file it came from. */
    record Definition(String kind, String slug, ObjectNode body, String file) {
        String label() {
            return kind + " " + slug;
        }
    }

    /** Reads every definition of every file; a kind and slug named twice is a usage error. */
    static List<Definition> definitions(List<String> files) {
        List<Definition> out = new ArrayList<>();
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        for (String file : files) {
            for (ObjectNode doc : read(List.of(file))) {
                ObjectNode body = doc.deepCopy();
                JsonNode kindNode = body.remove("kind");
                String kind = kindNode == null || kindNode.isNull() ? WORKFLOW : kindNode.asText();
                if (!kind.equals(JOB) && !kind.equals(WORKFLOW)) {
                    throw new UsageError("-f " + file + ": kind must be job or workflow, got '" + kind + "' (slug "
                            + body.path("slug").asText() + ").");
                }
                String slug = body.get("slug").asText();
                String before = seen.putIfAbsent(kind + " " + slug, file);
                if (before != null) {
                    throw new UsageError("-f " + file + ": " + kind + " " + slug + " is defined twice (also in "
                            + before + ").");
                }
                out.add(new Definition(kind, slug, body, file));
            }
        }
        return out;
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private DefinitionFiles() {}

    static List<ObjectNode> read(List<String> files) {
        List<ObjectNode> out = new ArrayList<>();
        for (String file : files) {
            String text;
            try {
                text = file.equals("-") ? new String(System.in.readAllBytes()) : Files.readString(Path.of(file));
            } catch (IOException e) {
                throw new UsageError("-f " + file + ": cannot read the file (" + e.getMessage() + ").");
            }
            try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
                while (docs.hasNext()) {
                    add(file, docs.next(), out);
                }
            } catch (IOException | RuntimeException e) {
                String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                throw new UsageError("-f " + file + ": not valid YAML or JSON: " + msg);
            }
        }
        if (out.isEmpty()) {
            throw new UsageError("no job or workflow definitions found in " + files + ".");
        }
        return out;
    }

    private static void add(String file, JsonNode doc, List<ObjectNode> out) {
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
            return;
        }
        if (doc.isArray()) {
            doc.forEach(d -> add(file, d, out));
            return;
        }
        if (!doc.isObject() || !doc.hasNonNull("slug")) {
            throw new UsageError("-f " + file + ": each definition must be an object with a slug.");
        }
        out.add((ObjectNode) doc);
    }
}
