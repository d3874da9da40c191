package io.drover.ui;

import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.errors.Invalid;
import io.javalin.http.Context;
import java.util.UUID;

/** One dashboard request as a handler sees it: the caller, the query and form, and the page's frame. */
public final class UiCall {
    private final Context ctx;
    private final Principal principal;
    private final Frame frame;
    private String live;

    UiCall(Context ctx, Principal principal, Frame frame) {
        this.ctx = ctx;
        this.principal = principal;
        this.frame = frame;
    }

    public Context ctx() {
        return ctx;
    }

    public Principal principal() {
        return principal;
    }

    public UUID projectId() {
        return principal.projectId();
    }

    public boolean can(Role role) {
        return principal.role() != null && principal.role().atLeast(role);
    }

    /** A query parameter, null when absent or blank. */
    public String query(String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    public String path(String name) {
        return ctx.pathParam(name);
    }

    /** A path parameter that must be a UUID (anything else names nothing: 404). */
    public UUID pathUuid(String name, String what) {
        String v = ctx.pathParam(name);
        UUID id = v.length() == 36 ? io.drover.store.Ids.uuid(v) : null;
        if (id == null) {
            throw new io.drover.errors.NotFound(what, v.length() > 80 ? v.substring(0, 80) + "..." : v);
        }
        return id;
    }

    /** A form field (htmx posts forms url-encoded), null when absent or blank. */
    public String form(String name) {
        String v = ctx.formParam(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    public String requiredForm(String name) {
        String v = form(name);
        if (v == null) {
            throw new Invalid(name, "is required");
        }
        return v;
    }

    /** The page listens to the live stream at {@code url} (its list or detail refreshes on events). */
    public void live(String url) {
        this.live = url;
    }

    Frame frame(String title) {
        return new Frame(title, frame.current(), frame.who(), frame.role(), frame.project(), frame.csrf(), frame.nav(),
                live);
    }
}
