package io.drover.spring;

import io.drover.client.DroverClient;
import io.drover.client.Worker;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code drover} in Actuator's health: up when the server answers {@code GET /readyz} and the
 * worker (when one was started) is running; the details name the server, the worker and how many
 * runs it holds.
 */
public class DroverHealthIndicator extends AbstractHealthIndicator {

    private final DroverClient client;
    private final DroverWorkerLifecycle lifecycle;

    public DroverHealthIndicator(DroverClient client, DroverWorkerLifecycle lifecycle) {
        super("Drover health check failed");
        this.client = client;
        this.lifecycle = lifecycle;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("url", client.baseUrl());
        Worker worker = lifecycle == null ? null : lifecycle.worker();
        if (worker != null) {
            builder.withDetail("worker_id", worker.workerId())
                    .withDetail("worker_running", worker.isRunning())
                    .withDetail("held_runs", worker.heldRuns());
        }
        client.send("GET", "/readyz", null); // throws when the server is down or not ready
        if (worker != null && !worker.isRunning()) {
            builder.down();
        } else {
            builder.up();
        }
    }
}
