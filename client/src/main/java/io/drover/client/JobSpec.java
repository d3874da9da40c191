package io.drover.client;

import java.util.List;
import java.util.Map;

/**
 * The body of a job creation or update. Fields left null are not sent, so the server applies its
 * defaults on creation and keeps the current values on update. Build one with
 * {@code JobSpec.builder("send-email").queue("emails").maxAttempts(5).build()}.
 *
 * @param slug the unique name, {@code [a-z0-9][a-z0-9-_]*}
 * @param name a display name
 * @param description a description
 * @param execution {@code worker} (the default) or {@code http}
 * @param queue the queue its runs go to ({@code default} unless set)
 * @param endpointUrl the URL the server posts to, required for {@code http} jobs
 * @param maxAttempts how many attempts a run gets (3 unless set)
 * @param retry how retries are spaced
 * @param timeoutSecs how long one attempt may take
 * @param ttlSecs how long a run may wait before it expires
 * @param priority the default run priority, higher first
 * @param maxConcurrency the most runs executing at once
 * @param maxConcurrencyPerKey the most runs executing at once per concurrency key
 * @param schedule when the job runs by itself
 * @param tags free-form tags
 * @param defaultMetadata metadata merged into every run
 */
public record JobSpec(
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
        Map<String, Object> defaultMetadata) {

    /**
     * Starts a spec for the given slug.
     *
     * @param slug the job slug
     * @return a builder
     */
    public static Builder builder(String slug) {
        return new Builder(slug);
    }

    /** Collects the optional fields of a {@link JobSpec}. */
    public static final class Builder {
        private final String slug;
        private String name;
        private String description;
        private String execution;
        private String queue;
        private String endpointUrl;
        private Integer maxAttempts;
        private RetryPolicy retry;
        private Integer timeoutSecs;
        private Integer ttlSecs;
        private Integer priority;
        private Integer maxConcurrency;
        private Integer maxConcurrencyPerKey;
        private Schedule schedule;
        private List<String> tags;
        private Map<String, Object> defaultMetadata;

        private Builder(String slug) {
            this.slug = slug;
        }

        public Builder name(String value) { name = value; return this; }
        public Builder description(String value) { description = value; return this; }
        public Builder queue(String value) { queue = value; return this; }
        public Builder maxAttempts(int value) { maxAttempts = value; return this; }
        public Builder retry(RetryPolicy value) { retry = value; return this; }
        public Builder timeoutSecs(int value) { timeoutSecs = value; return this; }
        public Builder ttlSecs(int value) { ttlSecs = value; return this; }
        public Builder priority(int value) { priority = value; return this; }
        public Builder maxConcurrency(int value) { maxConcurrency = value; return this; }
        public Builder maxConcurrencyPerKey(int value) { maxConcurrencyPerKey = value; return this; }
        public Builder schedule(Schedule value) { schedule = value; return this; }
        public Builder tags(List<String> value) { tags = value; return this; }
        public Builder defaultMetadata(Map<String, Object> value) { defaultMetadata = value; return this; }

        /** Makes the job an HTTP push job that the server runs by posting to {@code url}. */
        public Builder httpEndpoint(String url) {
            execution = "http";
            endpointUrl = url;
            return this;
        }

        /** @return the spec */
        public JobSpec build() {
            return new JobSpec(slug, name, description, execution, queue, endpointUrl, maxAttempts, retry,
                    timeoutSecs, ttlSecs, priority, maxConcurrency, maxConcurrencyPerKey, schedule, tags,
                    defaultMetadata);
        }
    }
}
