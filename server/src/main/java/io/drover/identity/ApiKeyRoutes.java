package io.drover.identity;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;

/** {@code /v1/api-keys}: create (the plaintext is in that answer only), list, get, revoke, rotate. */
public final class ApiKeyRoutes {
    private static final Set<String> ROLES = Set.of("owner", "admin", "operator", "viewer");
    private static final long MAX_GRACE = 30L * 24 * 3600;
    private final ApiKeyAdmin admin;
    private final InstantSource clock;

    public ApiKeyRoutes(ApiKeyAdmin admin, InstantSource clock) {
        this.clock = clock;
        this.admin = admin;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/api-keys", Role.ADMIN, "Create an API key {name, role, expires_at, read_secrets}; the key is shown once",
                        this::create),
                get("/v1/api-keys", Role.ADMIN, "List the project's API keys (never the keys themselves)",
                        c -> Reply.ok(Page.slice(admin.list(c.projectId()), c, ApiKeyAdmin.Key::id)
                                .toJson(ApiKeyAdmin.Key::toJson))),
                get("/v1/api-keys/{id}", Role.ADMIN, "Get an API key's metadata",
                        c -> Reply.ok(admin.get(c.projectId(), c.pathUuid("id", "api key")).toJson())),
                delete("/v1/api-keys/{id}", Role.ADMIN, "Revoke an API key (at once)",
                        c -> Reply.ok(admin.revoke(c.principal(), c.pathUuid("id", "api key")).toJson())),
                post("/v1/api-keys/{id}/rotate", Role.ADMIN,
                        "Rotate an API key {grace_secs}: a new key, the old one works until the grace window ends",
                        this::rotate));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("name", "role", "expires_at", "read_secrets"));
        String name = in.requiredNonBlank("name", 200);
        Role role = Role.fromDb(in.oneOf("role", "viewer", ROLES));
        Instant expires = in.instant("expires_at");
        if (expires != null && !expires.isAfter(clock.instant())) {
            throw ApiError.invalid("expires_at", "must be in the future");
        }
        boolean readSecrets = in.bool("read_secrets", false);
        return Reply.created(admin.create(c.principal(), name, role, expires, readSecrets).toJson());
    }

    private Reply rotate(Call c) {
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("grace_secs"));
        long grace = in.longValue("grace_secs", 3600L, 0, MAX_GRACE);
        ApiKeyAdmin.Rotated r = admin.rotate(c.principal(), c.pathUuid("id", "api key"), grace);
        var out = r.fresh().toJson();
        out.set("previous", r.old().toJson());
        return Reply.created(out);
    }
}
