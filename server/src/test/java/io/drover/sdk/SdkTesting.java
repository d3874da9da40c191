package io.drover.sdk;

import io.drover.client.DroverClient;
import io.drover.client.Page;
import io.drover.client.Run;
import io.drover.client.RunFilter;
import io.drover.client.RunStatus;
import io.drover.client.Worker;
import io.drover.client.WorkerBuilder;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Shared set-up of the SDK tests: a client of a test server and workers with test-friendly timings. */
final class SdkTesting {

    private SdkTesting() {
    }

    static DroverClient client(TestServer server) {
        return DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey()).build();
    }

    /** A worker on one queue whose claims wait 1 s, so that stopping an idle worker is quick. */
    static WorkerBuilder worker(DroverClient client, String queue) {
        return Worker.builder().client(client).queue(queue).claimWait(Duration.ofSeconds(1));
    }

    /** Every run of a job, following pages; {@code status} may be null for all. */
    static List<Run> runs(DroverClient client, String job, RunStatus status) {
        List<Run> all = new ArrayList<>();
        RunFilter filter = RunFilter.job(job).withStatus(status).withLimit(500);
        Page<Run> page;
        do {
            page = client.listRuns(filter);
            all.addAll(page.data());
            filter = filter.withCursor(page.nextCursor());
        } while (page.hasMore());
        return all;
    }
}
