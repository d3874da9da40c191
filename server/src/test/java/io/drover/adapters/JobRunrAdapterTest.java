package io.drover.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.agent.jobrunr.DroverJobRunr;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration.JobRunrConfigurationResult;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.InMemoryStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The JobRunr adapter against a real JobRunr (its background job server, in-memory storage) and a real Drover. */
@DroverTest
class JobRunrAdapterTest {
    static TestServer server;
    static Api api;
    private BackgroundJobServer jobServer;
    private DroverJobRunr drover;

    /** The jobs: static methods, as JobRunr finds them by their bytecode. */
    public static final class Work {
        static final AtomicInteger RUNS = new AtomicInteger();

        @org.jobrunr.jobs.annotations.Job(name = "invoice %0", retries = 0)
        public static void invoice(String customer) {
            RUNS.incrementAndGet();
            if (customer.startsWith("bad")) {
                throw new IllegalStateException("no ledger for " + customer);
            }
        }
    }

    @AfterEach
    void stop() {
        if (jobServer != null) {
            jobServer.stop();
        }
        if (drover != null && drover.agent() != null) {
            drover.agent().close();
        }
    }

    @Test
    void jobsRecurringJobsAndRetryGoBothWays() {
        Agents.Registered reg = Agents.register(api, "invoices-jobrunr");
        InMemoryStorageProvider storage = new InMemoryStorageProvider();
        drover = new DroverJobRunr(Agents.builder(server.baseUrl(), reg));
        JobRunrConfigurationResult r = JobRunr.configure()
                .useJsonMapper(new JacksonJsonMapper())
                .useStorageProvider(storage)
                .withJobFilter(drover)
                .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                        .andWorkerCount(2).andPollInterval(Duration.ofSeconds(5)))
                .initialize();
        jobServer = r.getBackgroundJobServer();
        drover.start(storage);
        JobScheduler scheduler = r.getJobScheduler();
        List<String> ids = new ArrayList<>();
        for (String customer : List.of("acme", "globex", "bad-initech")) {
            ids.add(scheduler.enqueue(() -> Work.invoice(customer)).asUUID().toString());
        }
        scheduler.scheduleRecurrently("nightly-invoices", "0 3 * * *", () -> Work.invoice("nightly"));

        List<JsonNode> tasks = Agents.awaitTasks(api, "jobrunr", "two succeeded and one failed",
                t -> t.stream().filter(x -> x.path("state").asText().equals("succeeded")).count() == 2
                        && t.stream().filter(x -> x.path("state").asText().equals("failed")).count() == 1);
        JsonNode failed = tasks.stream().filter(t -> t.path("state").asText().equals("failed")).findFirst().orElseThrow();
        assertThat(failed.path("external_id").asText()).isEqualTo(ids.get(2));
        assertThat(failed.path("name").asText()).isEqualTo("invoice bad-initech");
        assertThat(failed.path("error").toString()).contains("no ledger for bad-initech");

        JsonNode nightly = Await.value("the recurring job reported", Duration.ofSeconds(30),
                () -> Agents.schedules(api, reg.id()).stream()
                        .filter(s -> s.path("name").asText().equals("nightly-invoices")).findFirst().orElse(null),
                s -> s != null);
        assertThat(nightly.path("type").asText()).isEqualTo("cron");
        assertThat(nightly.path("expression").asText()).isEqualTo("0 3 * * *");

        // retry: JobRunr enqueues the failed job again, runs it, and the second failure is reported
        int before = Work.RUNS.get();
        Api.Answer retry = api.post("/v1/tasks/" + failed.path("id").asText() + "/retry", null);
        assertThat(retry.status()).as(retry.text()).isEqualTo(202);
        Agents.awaitCommand(api, retry.json().path("id").asText(), "succeeded");
        Await.until("the job ran again", Duration.ofSeconds(30), () -> Work.RUNS.get() > before);
        JsonNode again = Await.value("the second run reported", Duration.ofSeconds(30),
                () -> api.get("/v1/tasks/" + failed.path("id").asText()).json(),
                t -> { 
                    long fails = 0;
                    for (JsonNode e : t.path("events")) {
                        fails += e.path("type").asText().equals("task_failed") ? 1 : 0;
                    }
                    return fails == 2;
                });
        assertThat(again.path("state").asText()).isEqualTo("failed");
    }
}
