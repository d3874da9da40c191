package io.drover.ui;

/**
 * A dashboard handler's answer: a full page (the template inside the frame), a fragment (htmx
 * swaps it in), or a redirect (for htmx requests sent as {@code HX-Redirect}).
 */
public record View(int status, String template, Object model, String redirect, boolean fragment) {
    public static View page(String template, Object model) {
        return new View(200, template, model, null, false);
    }

    public static View fragment(String template, Object model) {
        return new View(200, template, model, null, true);
    }

    public static View redirect(String location) {
        return new View(303, null, null, location, false);
    }

    public View withStatus(int status) {
        return new View(status, template, model, redirect, fragment);
    }
}
