package io.drover.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code drover.*} settings: where the server is, the API key, and the worker that runs the
 * {@link DroverJob} methods.
 */
@ConfigurationProperties(prefix = "drover")
public class DroverProperties {

    /** The server's URL. */
    private String url = "http://localhost:7070";

    /** The API key, sent as a bearer token. */
    private String apiKey;

    /** How long to wait for an answer from the server (a claim adds its long poll on top). */
    private Duration requestTimeout = Duration.ofSeconds(30);

    private final Worker worker = new Worker();

    private final Jobs jobs = new Jobs();

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getApiKey() { return apiKey; }
    public void setApiKey(String apiKey) { this.apiKey = apiKey; }
    public Duration getRequestTimeout() { return requestTimeout; }
    public void setRequestTimeout(Duration requestTimeout) { this.requestTimeout = requestTimeout; }
    public Worker getWorker() { return worker; }
    public Jobs getJobs() { return jobs; }

    /** {@code drover.worker.*}: the worker started with the application context. */
    public static class Worker {
        /** Whether to start a worker for the {@link DroverJob} methods. */
        private boolean enabled = true;
        /** The queues to claim from; empty: the queues of the annotated jobs ({@code default} when they name none). */
        private List<String> queues = new ArrayList<>();
        /** The most runs executed at once. */
        private int concurrency = 8;
        /** The worker id; empty: host, pid and a random suffix. */
        private String id;
        /** How long a graceful stop waits for running handlers. */
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        /** How long one claim waits on the server when nothing is ready (0 to 30 s). */
        private Duration claimWait = Duration.ofSeconds(10);
        /** How long each run stays this worker's without a heartbeat. */
        private Duration lease = Duration.ofSeconds(30);
        /**
         * Whether a running worker keeps the JVM alive (its threads are daemons), so that an
         * application without a web server goes on processing runs until it is stopped.
         */
        private boolean keepAlive = true;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public List<String> getQueues() { return queues; }
        public void setQueues(List<String> queues) { this.queues = queues; }
        public int getConcurrency() { return concurrency; }
        public void setConcurrency(int concurrency) { this.concurrency = concurrency; }
        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public Duration getShutdownTimeout() { return shutdownTimeout; }
        public void setShutdownTimeout(Duration shutdownTimeout) { this.shutdownTimeout = shutdownTimeout; }
        public Duration getClaimWait() { return claimWait; }
        public void setClaimWait(Duration claimWait) { this.claimWait = claimWait; }
        public Duration getLease() { return lease; }
        public boolean isKeepAlive() { return keepAlive; }
        public void setKeepAlive(boolean keepAlive) { this.keepAlive = keepAlive; }
        public void setLease(Duration lease) { this.lease = lease; }
    }

    /** {@code drover.jobs.*}: the job definitions declared in code. */
    public static class Jobs {
        /** Whether to create or update the jobs declared by {@link DroverJob} and {@code JobSpec} beans at start-up. */
        private boolean reconcile = true;

        public boolean isReconcile() { return reconcile; }
        public void setReconcile(boolean reconcile) { this.reconcile = reconcile; }
    }
}
