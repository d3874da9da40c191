package io.drover.identity;

import java.util.UUID;

/** Who is calling: an API key of a project, with its role. */
public record Principal(UUID projectId, UUID keyId, Role role) {}
