package com.example.drover;

import io.drover.client.DroverClient;
import io.drover.client.TriggerRequest;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Starts the worker of {@link EmailJobs}' methods, and triggers one run of each job to show them work. */
@SpringBootApplication
public class ExampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }

    @Bean
    CommandLineRunner triggerSome(DroverClient drover) {
        return args -> {
            drover.trigger("welcome-email", TriggerRequest.of(new EmailJobs.Welcome("ada@example.com", "Ada")));
            drover.trigger("daily-report", TriggerRequest.of(new EmailJobs.Report("sales")));
        };
    }
}
