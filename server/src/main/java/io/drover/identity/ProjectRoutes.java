package io.drover.identity;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.patch;
import static io.drover.http.Route.post;

import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.store.Ids;
import java.util.List;
import java.util.Set;

/** Projects, their settings and members, and invitations into them. */
public final class ProjectRoutes {
    private static final Set<String> ROLES = Set.of("owner", "admin", "operator", "viewer");
    private final Projects projects;
    private final Members members;
    private final ProjectAdmin admin;
    private final Invitations invitations;

    public ProjectRoutes(Projects projects, Members members, ProjectAdmin admin, Invitations invitations) {
        this.projects = projects;
        this.members = members;
        this.admin = admin;
        this.invitations = invitations;
    }

    public List<Route> routes() {
        return List.of(
                Route.account("GET", "/v1/projects", "The caller's projects (a key sees its own)", this::list),
                Route.account("POST", "/v1/projects", "Create a project {slug, name}; the signed-in user becomes owner",
                        this::create),
                get("/v1/projects/{project}", Role.VIEWER, "Get a project and its settings",
                        c -> Reply.ok(projects.get(c.projectId()).toJson())),
                patch("/v1/projects/{project}", Role.ADMIN,
                        "Change a project's name or settings (retention_days, timezone, redaction)", this::update),
                get("/v1/projects/{project}/members", Role.VIEWER, "List a project's members", this::members),
                patch("/v1/projects/{project}/members/{user_id}", Role.ADMIN, "Change a member's role {role}",
                        this::setRole),
                delete("/v1/projects/{project}/members/{user_id}", Role.ADMIN, "Remove a member", c -> {
                    admin.remove(c.principal(), c.pathUuid("user_id", "member"));
                    return Reply.ok(Json.object().put("removed", true));
                }),
                post("/v1/invitations", Role.ADMIN, "Invite someone by email {email, role}; valid 72 hours",
                        this::invite),
                get("/v1/invitations", Role.ADMIN, "List the project's invitations",
                        c -> Reply.ok(Page.slice(invitations.list(c.projectId()), c, Invitations.Invitation::id)
                                .toJson(Invitations.Invitation::toJson))),
                delete("/v1/invitations/{id}", Role.ADMIN, "Revoke an invitation",
                        c -> Reply.ok(invitations.revoke(c.principal(), c.pathUuid("id", "invitation")).toJson())));
    }

    private Reply list(Call c) {
        List<Projects.Membership> mine = c.principal().isUser() ? projects.ofUser(c.principal().userId())
                : List.of(new Projects.Membership(c.projectId(), null, null, c.principal().role()));
        return Reply.ok(Page.slice(mine, c, Projects.Membership::projectId)
                .toJson(m -> projects.get(m.projectId()).toJson().put("role", m.role().db())));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        if (!c.principal().isUser()) {
            throw ApiError.forbidden("projects are created by signed-in users; an API key belongs to one project");
        }
        in.allowOnly(Set.of("slug", "name"));
        String slug = in.requiredString("slug", 100);
        if (!Ids.SLUG.matcher(slug).matches()) {
            throw ApiError.invalid("slug", "must match [a-z0-9][a-z0-9-_]* (at most 100 characters)");
        }
        return Reply.created(admin.create(c.principal().userId(), slug, in.nonBlank("name", slug, 200)).toJson());
    }

    private Reply update(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("name", "settings"));
        return Reply.ok(admin.update(c.principal(), in.nonBlank("name", null, 200), in.object("settings")).toJson());
    }

    private Reply members(Call c) {
        return Reply.ok(Page.slice(members.list(c.projectId()), c, Members.Member::userId)
                .toJson(Members.Member::toJson));
    }

    private Reply setRole(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("role"));
        String role = in.oneOf("role", null, ROLES);
        if (role == null) {
            throw ApiError.invalid("role", "is required");
        }
        admin.setRole(c.principal(), c.pathUuid("user_id", "member"), Role.fromDb(role));
        return Reply.ok(Json.object().put("user_id", c.path("user_id")).put("role", role));
    }

    private Reply invite(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("email", "role"));
        String email = in.requiredString("email", 320).strip();
        if (!email.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            throw ApiError.invalid("email", "is not an email address");
        }
        String role = in.oneOf("role", "viewer", ROLES);
        return Reply.created(invitations.create(c.principal(), email, Role.fromDb(role)).toJson());
    }
}
