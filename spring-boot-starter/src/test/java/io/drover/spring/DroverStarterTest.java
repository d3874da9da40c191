package io.drover.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.Job;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunContext;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.testing.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a real Spring Boot application against a real Drover server (the server's
 * TestServer, embedded PostgreSQL): annotated methods process runs, jobs declared in code are
 * reconciled at every start, and the worker stops gracefully with the context.
 */
@SpringBootTest(classes = DroverStarterTest.App.class, properties = {"drover.worker.claim-wait=1s"})
class DroverStarterTest {

    /** One server for the class; it lives as long as the JVM, like the contexts Spring caches. */
    static final TestServer SERVER = TestServer.start();
    static final Duration WAIT = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void drover(DynamicPropertyRegistry registry) {
        registry.add("drover.url", SERVER::baseUrl);
        registry.add("drover.api-key", SERVER::adminKey);
    }

    record Greeting(String name) {}

    record Sum(int a, int b) {}

    record Total(int total, String runId, int attempt) {}

    /** Two handlers, as an application would write them. */
    static class Handlers {
        @DroverJob(value = "starter-greet", queue = "starter-q", maxAttempts = 5, cron = "0 3 * * *",
                description = "Says hello")
        public Map<String, String> greet(Greeting greeting) {
            return Map.of("text", "hello " + greeting.name());
        }

        @DroverJob(value = "starter-add", queue = "starter-q", concurrency = 2)
        public Total add(Sum sum, RunContext ctx) {
            return new Total(sum.a() + sum.b(), ctx.runId(), ctx.attempt());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        @Bean
        Handlers handlers() {
            return new Handlers();
        }
    }

    @Autowired
    DroverClient client;

    @Autowired
    DroverWorkerMetrics metrics;

    @Autowired
    HealthIndicator droverHealthIndicator;

    @Test
    void twoAnnotatedMethodsProcessRunsOfTheJobsTheyDeclare() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);

        Job greet = client.getJob("starter-greet");
        assertThat(greet.queue()).isEqualTo("starter-q");
        assertThat(greet.maxAttempts()).isEqualTo(5);
        assertThat(greet.schedule().cron()).isEqualTo("0 3 * * *");
        assertThat(greet.description()).isEqualTo("Says hello");

        Run hello = client.trigger("starter-greet", TriggerRequest.of(Map.of("name", "Ada")));
        Run sum = client.trigger("starter-add", TriggerRequest.of(Map.of("a", 2, "b", 40)));

        Run helloDone = client.awaitRun(hello.id(), WAIT);
        assertThat(helloDone.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(helloDone.result().path("text").asText()).isEqualTo("hello Ada");
        Run sumDone = client.awaitRun(sum.id(), WAIT);
        assertThat(sumDone.status()).isEqualTo(RunStatus.COMPLETED);
        Total total = client.convert(sumDone.result(), Total.class);
        assertThat(total).isEqualTo(new Total(42, sum.id(), 1));

        // A payload that does not fit the parameter fails the run at once, without retries.
        Run bad = client.trigger("starter-add", TriggerRequest.of(Map.of("a", "not a number")));
        Run badDone = client.awaitRun(bad.id(), WAIT);
        assertThat(badDone.status()).isIn(RunStatus.FAILED, RunStatus.DEAD_LETTER);
        assertThat(badDone.attempt()).isEqualTo(1);

        assertThat(registry.get("drover.worker.runs").tag("job", "starter-add").tag("outcome", "completed")
                .counter().count()).isEqualTo(1.0);
        assertThat(registry.get("drover.worker.run.duration").tag("job", "starter-greet").timer().count())
                .isEqualTo(1);
        assertThat(droverHealthIndicator.health().getStatus()).isEqualTo(Status.UP);
        assertThat(droverHealthIndicator.health().getDetails()).containsEntry("worker_running", true);
    }

    static class DeclaredHandler {
        @DroverJob(value = "starter-declared-h", queue = "starter-declared-q", maxAttempts = 4)
        public void handle(RunContext ctx) {
        }
    }

    /**
     * A job declared as a bean, with a setting the test changes between starts, and an annotated
     * one. Its own queue: a worker that stops may still be given a run by its last long poll.
     */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(DeclaredHandler.class)
    static class DeclaredJobApp {
        @Bean
        JobSpec declared(org.springframework.core.env.Environment env) {
            return JobSpec.builder("starter-declared").queue("starter-declared-q")
                    .maxAttempts(env.getProperty("test.attempts", Integer.class, 3)).build();
        }
    }

    @Test
    void aSecondStartChangesNothingAndAChangedDeclarationUpdatesTheJob() {
        try (ConfigurableApplicationContext first = start(DeclaredJobApp.class, "test.attempts=3")) {
            assertThat(client.getJob("starter-declared").maxAttempts()).isEqualTo(3);
            assertThat(client.getJob("starter-declared-h").maxAttempts()).isEqualTo(4);
        }
        Job created = client.getJob("starter-declared");
        int annotatedVersion = client.getJob("starter-declared-h").version();
        // The same declarations again: no 409, no new version.
        try (ConfigurableApplicationContext second = start(DeclaredJobApp.class, "test.attempts=3")) {
            assertThat(second.isRunning()).isTrue();
        }
        assertThat(client.getJob("starter-declared").version()).isEqualTo(created.version());
        assertThat(client.getJob("starter-declared-h").version()).isEqualTo(annotatedVersion);
        // A changed declaration: the job is updated, once.
        try (ConfigurableApplicationContext third = start(DeclaredJobApp.class, "test.attempts=7")) {
            Job updated = client.getJob("starter-declared");
            assertThat(updated.maxAttempts()).isEqualTo(7);
            assertThat(updated.version()).isEqualTo(created.version() + 1);
        }
    }

    static final CountDownLatch SLOW_STARTED = new CountDownLatch(1);
    static final CountDownLatch SLOW_RELEASE = new CountDownLatch(1);

    static class SlowHandler {
        @DroverJob(value = "starter-slow", queue = "starter-slow-q")
        public String slow(Map<String, Object> payload) throws InterruptedException {
            SLOW_STARTED.countDown();
            // Not interruptible on purpose: a stop must wait for it rather than interrupt it.
            while (true) {
                try {
                    if (SLOW_RELEASE.await(60, TimeUnit.SECONDS)) {
                        return "done";
                    }
                } catch (InterruptedException e) {
                    throw e;
                }
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(SlowHandler.class)
    static class SlowApp {
    }

    @Test
    void closingTheContextWaitsForTheHandlerInFlight() throws Exception {
        ConfigurableApplicationContext ctx = start(SlowApp.class, "drover.worker.shutdown-timeout=30s");
        DroverWorkerLifecycle lifecycle = ctx.getBean(DroverWorkerLifecycle.class);
        Run run = client.trigger("starter-slow", TriggerRequest.of(Map.of()));
        assertThat(SLOW_STARTED.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        Thread closer = new Thread(ctx::close, "closer");
        closer.start();
        // The close is under way (the worker stops claiming) but waits for the handler.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (lifecycle.worker().isRunning() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(lifecycle.worker().isRunning()).isFalse();
        closer.join(500);
        assertThat(closer.isAlive()).as("context close returned while a handler was running").isTrue();
        assertThat(client.getRun(run.id()).status()).isEqualTo(RunStatus.EXECUTING);

        SLOW_RELEASE.countDown();
        closer.join(WAIT.toMillis());
        assertThat(closer.isAlive()).isFalse();
        // The handler's result was reported before the context finished closing: not released, not retried.
        Run done = client.getRun(run.id());
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.result().asText()).isEqualTo("done");
        assertThat(done.attempt()).isEqualTo(1);
    }

    private static ConfigurableApplicationContext start(Class<?> app, String... properties) {
        String[] all = new String[properties.length + 3];
        all[0] = "drover.url=" + SERVER.baseUrl();
        all[1] = "drover.api-key=" + SERVER.adminKey();
        all[2] = "drover.worker.claim-wait=1s";
        System.arraycopy(properties, 0, all, 3, properties.length);
        return new SpringApplicationBuilder(app).web(org.springframework.boot.WebApplicationType.NONE)
                .properties(all).run();
    }
}
