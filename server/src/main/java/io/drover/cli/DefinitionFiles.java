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
 * Reads workflow definitions from YAML or JSON files: one definition, a list of them, or several
 * YAML documents separated by {@code ---}. JSON is read by the YAML parser too (it is YAML).
 */
final class DefinitionFiles {
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
            throw new UsageError("no workflow definitions found in " + files + ".");
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
