package com.example.drover;

import io.drover.client.RunContext;
import io.drover.spring.DroverJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Two Drover jobs, each a method. The jobs are created on the server at start-up with these
 * attributes (and updated when they change); the worker runs each method for the runs of its job.
 */
@Component
public class EmailJobs {

    private static final Logger log = LoggerFactory.getLogger(EmailJobs.class);

    public record Welcome(String to, String name) {}

    public record Report(String kind) {}

    public record Sent(String messageId) {}

    @DroverJob(value = "welcome-email", queue = "emails", maxAttempts = 5)
    public Sent welcome(Welcome email, RunContext ctx) {
        // The MDC carries drover.run_id, drover.job and drover.attempt for every line logged here.
        log.info("welcoming {} (attempt {})", email.to(), ctx.attempt());
        return new Sent("msg-" + ctx.runId());
    }

    @DroverJob(value = "daily-report", queue = "reports", cron = "0 6 * * *", concurrency = 1)
    public void report(Report report) {
        log.info("building the {} report", report.kind());
    }
}
