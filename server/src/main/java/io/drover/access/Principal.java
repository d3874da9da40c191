package io.drover.access;

import java.util.UUID;

/**
 * Who is calling: an API key of a project with its role, or a signed-in user acting in one of
 * their projects with their membership role there. A user on an account route (such as
 * {@code GET /v1/me}) may have no project: then {@code projectId} and {@code role} are null.
 * {@code readSecrets}: an API key that may receive the secrets a job names in claim responses.
 */
public record Principal(UUID projectId, UUID keyId, UUID userId, Role role, boolean readSecrets) {
    public Principal(UUID projectId, UUID keyId, Role role) {
        this(projectId, keyId, null, role, false);
    }

    public static Principal key(UUID projectId, UUID keyId, Role role, boolean readSecrets) {
        return new Principal(projectId, keyId, null, role, readSecrets);
    }

    public static Principal user(UUID userId, UUID projectId, Role role) {
        return new Principal(projectId, null, userId, role, false);
    }

    public boolean isUser() {
        return userId != null;
    }

    public Principal inProject(UUID project, Role projectRole) {
        return new Principal(project, keyId, userId, projectRole, readSecrets);
    }
}
