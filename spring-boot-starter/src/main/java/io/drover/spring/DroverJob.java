package io.drover.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as the handler of a Drover job. The method takes the run's
 * payload, mapped to the type of its first parameter (a record, a {@code Map}, a
 * {@code JsonNode}...), and optionally a {@link io.drover.client.RunContext} as its second (or only)
 * parameter; what it returns becomes the run's result, and what it throws fails the attempt
 * (without retry for a {@link io.drover.client.NonRetryableException}).
 *
 * <pre>{@code
 * @DroverJob(value = "send-email", queue = "emails", maxAttempts = 5)
 * public Receipt send(Email email, RunContext ctx) { ... }
 * }</pre>
 *
 * <p>At start-up the job is created on the server with the attributes given here, or updated when
 * it exists and differs from them (attributes left at their defaults are not sent, so the server's
 * defaults or values set elsewhere stay). {@code define = false} leaves the job's definition alone.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface DroverJob {

    /** @return the job's slug, {@code [a-z0-9][a-z0-9-_]*} */
    String value();

    /** @return the queue its runs go to; empty: the server's default ({@code default}) */
    String queue() default "";

    /** @return how many attempts a run gets; 0: the server's default */
    int maxAttempts() default 0;

    /** @return a cron expression (5 or 6 fields) the job runs on by itself; empty: no schedule from here */
    String cron() default "";

    /** @return the time zone of {@link #cron()}, such as {@code Europe/Paris}; empty: the server's default */
    String timezone() default "";

    /** @return how long one attempt may take, in seconds; 0: the server's default */
    int timeoutSecs() default 0;

    /** @return the default run priority, higher first; {@link Integer#MIN_VALUE}: the server's default */
    int priority() default Integer.MIN_VALUE;

    /** @return the most runs of this job executing at once across all workers; 0: no limit from here */
    int maxConcurrency() default 0;

    /** @return the most runs of this job this worker executes at once; 0: up to the worker's concurrency */
    int concurrency() default 0;

    /** @return the job's description; empty: none from here */
    String description() default "";

    /** @return whether to create or update the job's definition at start-up */
    boolean define() default true;
}
