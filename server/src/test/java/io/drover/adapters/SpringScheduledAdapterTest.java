package io.drover.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.agent.spring.DroverScheduling;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** The Spring {@code @Scheduled} adapter in a real Spring context against a real Drover. */
@DroverTest
class SpringScheduledAdapterTest {
    static TestServer server;
    static Api api;

    @Configuration
    @EnableScheduling
    static class Jobs {
        static final AtomicInteger SYNCS = new AtomicInteger();
        static final AtomicInteger NIGHTLY = new AtomicInteger();

        @Scheduled(fixedDelay = 200)
        public void syncCurrencies() {
            if (SYNCS.incrementAndGet() % 2 == 0) {
                throw new IllegalStateException("rates feed down");
            }
        }

        @Scheduled(cron = "0 0 3 * * *")
        public void nightly() {
            NIGHTLY.incrementAndGet();
        }
    }

    @Test
    void runsOfScheduledMethodsAndTheirTriggersAreReportedAndRetryRunsOneNow() {
        Agents.Registered reg = Agents.register(api, "spring-app");
        try (AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext()) {
            ctx.registerBean(DroverScheduling.class, () -> new DroverScheduling(Agents.builder(server.baseUrl(), reg)));
            ctx.register(Jobs.class);
            ctx.refresh();
            String sync = Jobs.class.getName() + ".syncCurrencies";
            String nightly = Jobs.class.getName() + ".nightly";

            List<JsonNode> tasks = Agents.awaitTasks(api, "spring-scheduled", "runs that succeeded and failed",
                    t -> Agents.count(t, sync, "succeeded") >= 2 && Agents.count(t, sync, "failed") >= 2);
            JsonNode failed = tasks.stream().filter(t -> t.path("state").asText().equals("failed")).findFirst().orElseThrow();
            assertThat(failed.path("error").toString()).contains("rates feed down");

            List<JsonNode> schedules = Await.value("both triggers reported", Duration.ofSeconds(30),
                    () -> Agents.schedules(api, reg.id()), s -> s.size() == 2);
            JsonNode cron = schedules.stream().filter(s -> s.path("name").asText().equals(nightly)).findFirst().orElseThrow();
            assertThat(cron.path("type").asText()).isEqualTo("cron");
            assertThat(cron.path("expression").asText()).isEqualTo("0 0 3 * * *");
            assertThat(cron.path("next_run_at").asText()).isNotBlank();
            JsonNode interval = schedules.stream().filter(s -> s.path("name").asText().equals(sync)).findFirst().orElseThrow();
            assertThat(interval.path("type").asText()).isEqualTo("interval");
            assertThat(interval.path("expression").asText()).isEqualTo("200");

            // retry a failed run: the method runs once more now, on the application's scheduler
            int before = Jobs.SYNCS.get();
            var retry = api.post("/v1/tasks/" + failed.path("id").asText() + "/retry", null);
            assertThat(retry.status()).as(retry.text()).isEqualTo(202);
            JsonNode cmd = Agents.awaitCommand(api, retry.json().path("id").asText(), "succeeded");
            assertThat(cmd.path("message").asText()).isEqualTo("ran " + sync + " once more");
            assertThat(Jobs.SYNCS.get()).isGreaterThan(before);
            assertThat(Jobs.NIGHTLY.get()).as("the cron method waits for 03:00").isZero();
        }
    }
}
