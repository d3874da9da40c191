package io.drover.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's static files (resources/ui/static: htmx, its SSE extension, the CSS and the
 * small live script), read once from the jar. Only the files named here are served.
 */
final class StaticFiles {
    static final Map<String, String> TYPES = Map.of(
            "htmx.min.js", "text/javascript; charset=utf-8",
            "sse.js", "text/javascript; charset=utf-8",
            "drover.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");
    private final Map<String, byte[]> files = new HashMap<>();

    StaticFiles() {
        for (String name : TYPES.keySet()) {
            try (InputStream in = StaticFiles.class.getResourceAsStream("/ui/static/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource /ui/static/" + name);
                }
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    byte[] get(String name) {
        return files.get(name);
    }
}
