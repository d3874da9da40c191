package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Usage;
import io.drover.client.UsageRecorded;
import io.drover.client.Worker;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A handler records its AI usage through its context; the run's cost is the sum, priced by the server. */
@DroverTest(shared = true)
class WorkerUsageTest {

    static DroverClient client;

    @Test
    void aHandlerRecordsUsageAndTheRunCarriesItsCost() {
        client.createJob(JobSpec.builder("sdk-usage").queue("sdk-usage").build());
        List<UsageRecorded> recorded = new CopyOnWriteArrayList<>();
        Worker worker = SdkTesting.worker(client, "sdk-usage").handler("sdk-usage", (ctx, payload) -> {
            // claude-sonnet-4: $3 in, $15 out per million tokens -> 3,000 + 7,500 micro-USD
            recorded.add(ctx.recordUsage("anthropic", "claude-sonnet-4-20250514", 1_000, 500));
            var response = client.mapper().readTree("{\"model\": \"gpt-4o-mini\", \"usage\": {\"prompt_tokens\": "
                    + "2000000, \"completion_tokens\": 1000000, \"prompt_tokens_details\": {\"cached_tokens\": 1000000}}}");
            // gpt-4o-mini: 1M in x $0.15 + 1M cached x $0.075 + 1M out x $0.60
            recorded.add(ctx.recordUsage(Usage.fromResponse("openai", null, response)));
            return "done";
        }).build();
        worker.start();
        try {
            Run run = client.trigger("sdk-usage", TriggerRequest.of(null));
            Await.until("the run to complete", Duration.ofSeconds(30),
                    () -> client.getRun(run.id()).status() == RunStatus.COMPLETED);
            assertThat(recorded).extracting(UsageRecorded::costMicrousd).containsExactly(10_500L, 825_000L);
            assertThat(recorded.get(1).runCostMicrousd()).isEqualTo(835_500L);
            assertThat(client.send("GET", "/v1/runs/" + run.id(), null).get("cost_microusd").asLong())
                    .isEqualTo(835_500L);
            assertThat(client.send("GET", "/v1/runs/" + run.id() + "/usage", null).get("data")).hasSize(2);
        } finally {
            worker.close();
        }
    }
}
