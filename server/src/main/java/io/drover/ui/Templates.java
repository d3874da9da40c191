package io.drover.ui;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.Map;

/** The dashboard's templates (server/src/main/jte), precompiled into classes at build time. */
final class Templates {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

    /** Renders {@code name} (e.g. {@code runs.jte}) with the frame and the page's model as {@code m}. */
    String render(String name, Frame frame, Object model) {
        StringOutput out = new StringOutput();
        java.util.HashMap<String, Object> params = new java.util.HashMap<>();
        params.put("frame", frame);
        params.put("m", model);
        engine.render(name, params, out);
        return out.toString();
    }

    String render(String name, Map<String, Object> params) {
        StringOutput out = new StringOutput();
        engine.render(name, params, out);
        return out.toString();
    }
}
