package io.drover.spring;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.WorkerListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures Drover in a Spring Boot application: a {@link DroverClient} for
 * {@code drover.url} and {@code drover.api-key}, the worker of the {@link DroverJob} methods
 * ({@link DroverWorkerLifecycle}), its meters when Micrometer is present and its health when
 * Actuator is. Each bean backs off when the application defines its own.
 */
@AutoConfiguration
@EnableConfigurationProperties(DroverProperties.class)
public class DroverAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public DroverClient droverClient(DroverProperties properties) {
        return DroverClient.builder().baseUrl(properties.getUrl()).apiKey(properties.getApiKey())
                .requestTimeout(properties.getRequestTimeout()).build();
    }

    /** Static: a post-processor must exist before the beans it looks at. */
    @Bean
    @ConditionalOnMissingBean
    public static DroverJobMethods droverJobMethods() {
        return new DroverJobMethods();
    }

    @Bean
    @ConditionalOnMissingBean
    public DroverWorkerLifecycle droverWorkerLifecycle(DroverClient client, DroverProperties properties,
                                                       DroverJobMethods methods, ObjectProvider<JobSpec> specs,
                                                       ObjectProvider<WorkerListener> listeners) {
        return new DroverWorkerLifecycle(client, properties, methods, specs.orderedStream().toList(),
                listeners.orderedStream().toList());
    }

    /** The worker's meters, when Micrometer is on the class path. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        DroverWorkerMetrics droverWorkerMetrics(ObjectProvider<DroverWorkerLifecycle> lifecycle) {
            return new DroverWorkerMetrics(() -> {
                DroverWorkerLifecycle l = lifecycle.getIfAvailable();
                return l == null ? null : l.worker();
            });
        }
    }

    /** {@code drover} in Actuator's health, when Actuator is on the class path. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "droverHealthIndicator")
        @ConditionalOnProperty(name = "management.health.drover.enabled", matchIfMissing = true)
        HealthIndicator droverHealthIndicator(DroverClient client, ObjectProvider<DroverWorkerLifecycle> lifecycle) {
            return new DroverHealthIndicator(client, lifecycle.getIfAvailable());
        }
    }
}
