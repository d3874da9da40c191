package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.audit.AuditLog;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.store.Db;
import io.drover.store.DbException;
import java.util.Map;
import java.util.UUID;

/**
 * Changes to projects and their members, each audited in its own transaction. Admins manage
 * members below owner; only an owner touches an owner or makes one; the last owner stays.
 */
public final class ProjectAdmin {
    private final Db db;
    private final Projects projects;
    private final Members members;
    private final AuditLog audit;
    private final Redactions redactions;

    public ProjectAdmin(Db db, Projects projects, Members members, AuditLog audit, Redactions redactions) {
        this.db = db;
        this.projects = projects;
        this.members = members;
        this.audit = audit;
        this.redactions = redactions;
    }

    public Project create(UUID userId, String slug, String name) {
        try {
            return db.tx(c -> {
                Project p = projects.create(c, slug, name);
                members.upsert(c, p.id(), userId, Role.OWNER);
                audit.append(c, p.id(), "project.create", "project", p.id(), Json.object().put("slug", slug));
                return p;
            });
        } catch (DbException e) {
            if (e.isUniqueViolation()) {
                throw new Conflict("slug_taken", "a project with slug '" + slug + "' already exists",
                        Map.of("field", "slug"));
            }
            throw e;
        }
    }

    public Project update(Principal caller, String name, JsonNode settingsPatch) {
        Project updated = db.tx(c -> {
            Project current = projects.find(c, caller.projectId().toString(), true).orElseThrow();
            JsonNode settings = settingsPatch == null ? null : ProjectSettings.merge(current.settings(), settingsPatch);
            Project p = projects.update(c, current.id(), name, settings);
            var details = Json.object();
            if (name != null) {
                details.put("name", name);
            }
            if (settingsPatch != null) {
                details.set("settings", settingsPatch);
            }
            audit.append(c, p.id(), "project.settings", "project", p.id(), details);
            return p;
        });
        redactions.invalidate(updated.id());
        return updated;
    }

    public void setRole(Principal caller, UUID userId, Role role) {
        db.tx(c -> {
            Role current = members.role(c, caller.projectId(), userId)
                    .orElseThrow(() -> new NotFound("member", userId.toString()));
            requireMayManage(caller, current, role);
            if (current == Role.OWNER && role != Role.OWNER && members.owners(c, caller.projectId()) <= 1) {
                throw new Conflict("last_owner", "a project keeps at least one owner", Map.of("user_id", userId));
            }
            members.setRole(c, caller.projectId(), userId, role);
            audit.append(c, caller.projectId(), "member.role", "user", userId,
                    Json.object().put("from", current.db()).put("to", role.db()));
            return null;
        });
    }

    public void remove(Principal caller, UUID userId) {
        db.tx(c -> {
            Role current = members.role(c, caller.projectId(), userId)
                    .orElseThrow(() -> new NotFound("member", userId.toString()));
            requireMayManage(caller, current, current);
            if (current == Role.OWNER && members.owners(c, caller.projectId()) <= 1) {
                throw new Conflict("last_owner", "a project keeps at least one owner", Map.of("user_id", userId));
            }
            members.remove(c, caller.projectId(), userId);
            audit.append(c, caller.projectId(), "member.remove", "user", userId,
                    Json.object().put("role", current.db()));
            return null;
        });
    }

    private static void requireMayManage(Principal caller, Role current, Role next) {
        if ((current == Role.OWNER || next == Role.OWNER) && caller.role() != Role.OWNER) {
            throw new io.drover.errors.Forbidden("only an owner can change an owner or make one");
        }
        if (!caller.role().atLeast(next)) {
            throw new io.drover.errors.Forbidden("your role (" + caller.role().db() + ") cannot grant " + next.db());
        }
    }
}
