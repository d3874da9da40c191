package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * A job definition as the server stores it: the fields of a {@link JobSpec} with the server's
 * defaults filled in, plus its id, version and timestamps.
 *
 * @param id the job id
 * @param slug the unique name used to trigger the job and to route its runs to handlers
 * @param name a display name
 * @param description a description
 * @param execution {@code worker} or {@code http}
 * @param queue the queue its runs go to
 * @param endpointUrl the URL the server posts to, for {@code http} jobs
 * @param maxAttempts how many attempts a run gets
 * @param retry how retries are spaced
 * @param timeoutSecs how long one attempt may take
 * @param ttlSecs how long a run may wait before it expires
 * @param priority the default run priority, higher first
 * @param maxConcurrency the most runs executing at once
 * @param maxConcurrencyPerKey the most runs executing at once per concurrency key
 * @param schedule when the job runs by itself, or null
 * @param tags free-form tags
 * @param defaultMetadata metadata merged into every run
 * @param version the version, incremented on every change
 * @param createdAt when the job was created
 * @param updatedAt when the job last changed
 * @param signingSecret the secret that signs pushes to an {@code http} job; only returned on creation
 */
public record Job(
        String id,
        String slug,
        String name,
        String description,
        String execution,
        String queue,
        String endpointUrl,
        Integer maxAttempts,
        RetryPolicy retry,
        Integer timeoutSecs,
        Integer ttlSecs,
        Integer priority,
        Integer maxConcurrency,
        Integer maxConcurrencyPerKey,
        Schedule schedule,
        List<String> tags,
        JsonNode defaultMetadata,
        Integer version,
        Instant createdAt,
        Instant updatedAt,
        String signingSecret) {
}
