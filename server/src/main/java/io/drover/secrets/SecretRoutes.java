package io.drover.secrets;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.post;
import static io.drover.http.Route.put;

import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code /v1/secrets}: set, list, get (metadata only, never values) and delete project secrets. */
public final class SecretRoutes {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern ENV = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private final SecretStore store;

    public SecretRoutes(SecretStore store) {
        this.store = store;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/secrets", Role.ADMIN, "Create or replace a secret {name, value, environment}", this::create),
                get("/v1/secrets", Role.ADMIN, "List secrets (names and dates, never values)",
                        c -> Reply.ok(Page.slice(store.list(c.projectId(), envParam(c)), c, SecretStore.Meta::id)
                                .toJson(SecretStore.Meta::toJson))),
                get("/v1/secrets/{name}", Role.ADMIN, "Get a secret's metadata (never its value)",
                        c -> Reply.ok(store.get(c.projectId(), env(c), c.path("name")).toJson())),
                put("/v1/secrets/{name}", Role.ADMIN, "Set a secret's value {value, environment}", this::putValue),
                delete("/v1/secrets/{name}", Role.ADMIN, "Delete a secret", c -> {
                    store.delete(c.projectId(), env(c), c.path("name"));
                    return Reply.ok(Json.object().put("deleted", true));
                }));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("name", "value", "environment"));
        String name = in.requiredString("name", 128);
        return save(c, in, name);
    }

    private Reply putValue(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("value", "environment"));
        return save(c, in, c.path("name"));
    }

    private Reply save(Call c, Input in, String name) {
        if (!NAME.matcher(name).matches()) {
            throw ApiError.invalid("name", "must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)");
        }
        String value = in.requiredString("value", 64 * 1024);
        String env = in.string("environment", SecretStore.DEFAULT_ENV, 64);
        checkEnv(env);
        SecretStore.Put p = store.put(c.projectId(), env, name, value);
        return p.created() ? Reply.created(p.meta().toJson()) : Reply.ok(p.meta().toJson());
    }

    private static String envParam(Call c) {
        String e = c.query("environment");
        if (e == null || e.isEmpty()) {
            return null;
        }
        checkEnv(e);
        return e;
    }

    private static String env(Call c) {
        String e = envParam(c);
        return e == null ? SecretStore.DEFAULT_ENV : e;
    }

    private static void checkEnv(String env) {
        if (!ENV.matcher(env).matches()) {
            throw ApiError.invalid("environment", "must match [a-z0-9][a-z0-9_-]* (at most 64 characters)");
        }
    }
}
