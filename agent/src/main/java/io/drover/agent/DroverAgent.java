package io.drover.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An agent beside another engine: it reports the engine's tasks and schedules to Drover and carries
 * Drover's commands back (API.md, "Agents and other engines"). Adapters (Quartz, JobRunr,
 * db-scheduler, Spring {@code @Scheduled}) call {@link #record}; nothing they call blocks or throws
 * because Drover is slow or away.
 *
 * <p>Three daemon threads: the sender (hello, then events in batches from the {@link EventBuffer},
 * resent with the same {@code seq}s after an error, with exponential backoff and jitter), the
 * heartbeat (error rate, active tasks, schedules when they changed) and the command poller (a
 * long poll; each command is acked, handed to the adapter's {@link AgentCommand.Handler}, and its
 * result reported).
 *
 * <pre>{@code
 * DroverAgent agent = DroverAgent.builder("http://drover:8080", System.getenv("DROVER_AGENT_TOKEN"))
 *         .framework("quartz").engine("quartz").build();
 * agent.start();
 * }</pre>
 */
public final class DroverAgent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DroverAgent.class.getName());
    /** The agent protocol version this library speaks. */
    public static final int PROTOCOL_VERSION = 1;
    private static final int OUTCOME_WINDOW = 100;

    private final AgentHttp http;
    private final Builder cfg;
    private final EventBuffer buffer;
    private final Instant startedAt = Instant.now();
    private final AtomicInteger active = new AtomicInteger();
    private final boolean[] outcomes = new boolean[OUTCOME_WINDOW];
    private int outcomeCount;
    private int outcomeNext;
    private volatile String sampleError;
    private volatile String currentTask;
    private volatile boolean connected;
    private volatile boolean running;
    private volatile long heartbeatMs;
    private volatile String state = "unknown";
    private volatile String agentId;
    private volatile List<ObservedSchedule> lastSchedules;
    private volatile boolean schedulesDirty = true;
    private final List<Thread> threads = new ArrayList<>();
    private final Object wake = new Object();
    private String lastWarning;

    private DroverAgent(Builder b) {
        this.cfg = b;
        this.http = new AgentHttp(b.url, b.token, b.requestTimeout);
        this.buffer = new EventBuffer(b.bufferCapacity, b.spoolFile);
        this.heartbeatMs = b.heartbeatMs;
    }

    public static Builder builder(String url, String token) {
        return new Builder(url, token);
    }

    /** Starts the threads; returns at once, whether Drover answers or not. */
    public synchronized DroverAgent start() {
        if (running) {
            return this;
        }
        running = true;
        threads.add(daemon("drover-agent-sender", this::sendLoop));
        threads.add(daemon("drover-agent-heartbeat", this::heartbeatLoop));
        threads.add(daemon("drover-agent-commands", this::commandLoop));
        return this;
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Records an event of the watched engine; never blocks, never throws. Counts outcomes for the
     * heartbeat's error rate and active tasks.
     */
    public void record(TaskEvent event) {
        try {
            switch (event.type()) {
                case "task_started" -> {
                    active.incrementAndGet();
                    currentTask = event.task().name();
                }
                case "task_succeeded" -> finished(false, null);
                case "task_failed" -> finished(true, event.error());
                case "task_cancelled", "task_retry" -> finished(false, null);
                default -> { }
            }
            buffer.add(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "drover agent: could not record " + event.type() + ": " + e);
        }
    }

    private void finished(boolean failed, TaskEvent.TaskError error) {
        active.updateAndGet(n -> Math.max(0, n - 1));
        if (active.get() == 0) {
            currentTask = null;
        }
        synchronized (outcomes) {
            outcomes[outcomeNext] = failed;
            outcomeNext = (outcomeNext + 1) % OUTCOME_WINDOW;
            outcomeCount = Math.min(OUTCOME_WINDOW, outcomeCount + 1);
        }
        if (failed && error != null) {
            sampleError = error.type() + ": " + error.message();
        }
    }

    /** The share of failures among the last 100 finished tasks (0 when none finished). */
    public double errorRate() {
        synchronized (outcomes) {
            if (outcomeCount == 0) {
                return 0;
            }
            int failures = 0;
            for (int i = 0; i < outcomeCount; i++) {
                if (outcomes[i]) {
                    failures++;
                }
            }
            return (double) failures / outcomeCount;
        }
    }

    /** Tells the agent that the engine's schedules changed; they are sent with the next heartbeat. */
    public void schedulesChanged() {
        schedulesDirty = true;
    }

    /** True after Drover answered the hello, until a request fails. */
    public boolean connected() {
        return connected;
    }

    /** The state Drover gave in its last heartbeat answer ({@code unknown} before one). */
    public String state() {
        return state;
    }

    public String agentId() {
        return agentId;
    }

    /** Events not yet accepted by Drover. */
    public int buffered() {
        return buffer.size();
    }

    /** Events dropped because the buffer was full while Drover was away. */
    public long dropped() {
        return buffer.dropped();
    }

    // ---- the sender -----------------------------------------------------------------------------

    private void sendLoop() {
        Backoff backoff = new Backoff(cfg.backoffInitialMs, cfg.backoffMaxMs);
        while (running) {
            try {
                if (!connected) {
                    hello();
                    backoff.reset();
                }
                if (!buffer.awaitEvents(cfg.flushMs)) {
                    continue;
                }
                List<TaskEvent> batch = buffer.peek(cfg.maxBatch);
                try {
                    http.post("/v1/agent/events", Frames.events(batch));
                } catch (AgentHttp.Refused r) {
                    if (!r.permanent()) {
                        throw r;
                    }
                    // A frame Drover will never take (a bug here, or a limit): drop it rather than stop reporting.
                    LOG.log(System.Logger.Level.WARNING, "drover agent: Drover refused " + batch.size()
                            + " events, dropped: " + r.getMessage());
                }
                buffer.ack(batch.get(batch.size() - 1).seq());
                backoff.reset();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                connected = false;
                long wait = backoff.next();
                // Drover refusing the agent (a bad token, a frame it cannot take) is worth a warning;
                // Drover being away is expected and only logged at debug level.
                boolean refused = e instanceof AgentHttp.Refused r && (r.permanent() || r.status == 401);
                String message = "drover agent: " + e.getMessage() + "; retrying in " + wait + " ms";
                if (refused && !message.equals(lastWarning)) {
                    lastWarning = message;
                    LOG.log(System.Logger.Level.WARNING, message);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, message);
                }
                if (!pause(wait)) {
                    return;
                }
            }
        }
    }

    private void hello() throws IOException, InterruptedException {
        ObjectNode body = Frames.JSON.createObjectNode();
        body.put("protocol_version", PROTOCOL_VERSION);
        body.put("framework", cfg.framework);
        body.set("engines", Frames.JSON.valueToTree(cfg.engines));
        body.set("schedulers", Frames.JSON.valueToTree(cfg.schedulers));
        body.set("capabilities", Frames.JSON.valueToTree(cfg.capabilities));
        body.set("metadata", Frames.JSON.valueToTree(cfg.metadata));
        JsonNode answer = http.post("/v1/agent/hello", body);
        agentId = answer.path("agent_id").asText(null);
        long interval = answer.path("heartbeat_interval_ms").asLong(0);
        if (interval > 0 && cfg.heartbeatMs == Builder.DEFAULT_HEARTBEAT_MS) {
            heartbeatMs = interval;
        }
        schedulesDirty = true;
        connected = true;
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    // ---- heartbeats and schedules ---------------------------------------------------------------

    private void heartbeatLoop() {
        while (running) {
            try {
                if (connected) {
                    ObjectNode hb = Frames.JSON.createObjectNode();
                    hb.put("error_rate", errorRate());
                    if (sampleError != null) {
                        hb.put("sample_error", sampleError);
                    }
                    hb.put("active_tasks", active.get());
                    if (currentTask != null) {
                        hb.put("current_task", currentTask);
                    }
                    hb.put("uptime_secs", Duration.between(startedAt, Instant.now()).toSeconds());
                    state = http.post("/v1/agent/heartbeat", hb).path("state").asText(state);
                    sendSchedulesIfChanged();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "drover agent heartbeat: " + e);
            }
            if (!pause(connected ? heartbeatMs : Math.min(heartbeatMs, 1_000))) {
                return;
            }
        }
    }

    private void sendSchedulesIfChanged() throws IOException, InterruptedException {
        if (cfg.schedules == null) {
            return;
        }
        List<ObservedSchedule> now = List.copyOf(cfg.schedules.get());
        if (!schedulesDirty && now.equals(lastSchedules)) {
            return;
        }
        schedulesDirty = false;
        try {
            http.post("/v1/agent/schedules", Frames.schedules(now));
            lastSchedules = now;
        } catch (IOException e) {
            schedulesDirty = true;
            throw e;
        }
    }

    // ---- commands -------------------------------------------------------------------------------

    private void commandLoop() {
        Backoff backoff = new Backoff(cfg.backoffInitialMs, cfg.backoffMaxMs);
        while (running) {
            try {
                if (!connected) {
                    synchronized (wake) {
                        wake.wait(1_000);
                    }
                    continue;
                }
                JsonNode answer = http.get("/v1/agent/commands?wait_ms=" + cfg.commandWaitMs,
                        Duration.ofMillis(cfg.commandWaitMs + 10_000));
                backoff.reset();
                for (AgentCommand c : Frames.commands(answer)) {
                    carryOut(c);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "drover agent commands: " + e);
                if (!pause(backoff.next())) {
                    return;
                }
            }
        }
    }

    private void carryOut(AgentCommand c) throws IOException, InterruptedException {
        http.post("/v1/agent/commands/" + c.id() + "/ack", Frames.JSON.createObjectNode());
        AgentCommand.Result result;
        try {
            result = Objects.requireNonNullElse(cfg.commands.handle(c), AgentCommand.Result.failed("no result"));
        } catch (Exception e) {
            result = AgentCommand.Result.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        ObjectNode body = Frames.JSON.createObjectNode();
        body.put("ok", result.ok());
        if (result.message() != null) {
            body.put("message", result.message());
        }
        http.post("/v1/agent/commands/" + c.id() + "/result", body);
    }

    // ---- shutdown -------------------------------------------------------------------------------

    /**
     * Stops the threads after one last attempt (bounded by {@code drainTimeout}) to send what is
     * buffered; what is still left goes to the spool file when there is one.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        flushOnce();
        buffer.spool();
    }

    private void flushOnce() {
        long deadline = System.nanoTime() + cfg.drainTimeout.toNanos();
        while (buffer.size() > 0 && System.nanoTime() < deadline) {
            List<TaskEvent> batch = buffer.peek(cfg.maxBatch);
            try {
                http.post("/v1/agent/events", Frames.events(batch));
                buffer.ack(batch.get(batch.size() - 1).seq());
            } catch (IOException | RuntimeException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return running;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Exponential backoff with full jitter. */
    static final class Backoff {
        private final long initial;
        private final long max;
        private long current;

        Backoff(long initial, long max) {
            this.initial = initial;
            this.max = max;
            this.current = initial;
        }

        long next() {
            long wait = ThreadLocalRandom.current().nextLong(current / 2, current + 1);
            current = Math.min(max, current * 2);
            return Math.max(1, wait);
        }

        void reset() {
            current = initial;
        }
    }

    /** Settings of an agent; only the URL and the token are required. */
    public static final class Builder {
        static final long DEFAULT_HEARTBEAT_MS = 10_000;
        private final String url;
        private final String token;
        private String framework = "java";
        private final List<String> engines = new ArrayList<>();
        private final List<String> schedulers = new ArrayList<>();
        private final List<String> capabilities = new ArrayList<>();
        private final Map<String, Object> metadata = new LinkedHashMap<>();
        private int bufferCapacity = 10_000;
        private Path spoolFile;
        private int maxBatch = 500;
        private long flushMs = 200;
        private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
        private long commandWaitMs = 25_000;
        private long backoffInitialMs = 250;
        private long backoffMaxMs = 30_000;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration drainTimeout = Duration.ofSeconds(2);
        private AgentCommand.Handler commands = AgentCommand.Handler.NONE;
        private Supplier<List<ObservedSchedule>> schedules;

        private Builder(String url, String token) {
            this.url = Objects.requireNonNull(url, "url");
            this.token = Objects.requireNonNull(token, "token");
        }

        public Builder framework(String f) {
            this.framework = f;
            return this;
        }

        public Builder engine(String e) {
            engines.add(e);
            return this;
        }

        public Builder scheduler(String s) {
            schedulers.add(s);
            return this;
        }

        public Builder capability(String c) {
            capabilities.add(c);
            return this;
        }

        public Builder metadata(String key, Object value) {
            metadata.put(key, value);
            return this;
        }

        /** Events kept while Drover is away (default 10,000); the oldest are dropped beyond it. */
        public Builder bufferCapacity(int n) {
            this.bufferCapacity = n;
            return this;
        }

        /** A file where events still unsent at shutdown are kept for the next start. */
        public Builder spoolFile(Path file) {
            this.spoolFile = file;
            return this;
        }

        public Builder maxBatch(int n) {
            this.maxBatch = n;
            return this;
        }

        /** How long the sender waits for more events before it sends a batch that is not full (default 200 ms). */
        public Builder flushMs(long ms) {
            this.flushMs = ms;
            return this;
        }

        /** The heartbeat interval; by default the one Drover's hello answer gives. */
        public Builder heartbeatMs(long ms) {
            this.heartbeatMs = ms;
            return this;
        }

        public Builder commandWaitMs(long ms) {
            this.commandWaitMs = ms;
            return this;
        }

        public Builder backoff(long initialMs, long maxMs) {
            this.backoffInitialMs = initialMs;
            this.backoffMaxMs = maxMs;
            return this;
        }

        public Builder drainTimeout(Duration d) {
            this.drainTimeout = d;
            return this;
        }

        /** Carries out Drover's commands; adapters give their own. */
        public Builder commands(AgentCommand.Handler h) {
            this.commands = Objects.requireNonNull(h);
            return this;
        }

        /** The engine's schedules, read at each heartbeat and sent when they changed. */
        public Builder schedules(Supplier<List<ObservedSchedule>> s) {
            this.schedules = s;
            return this;
        }

        public DroverAgent build() {
            return new DroverAgent(this);
        }
    }
}
