package io.drover;

import io.drover.config.Config;
import io.drover.crypto.Keys;
import io.drover.crypto.SecretBox;
import io.drover.dispatch.ClaimSignal;
import io.drover.dispatch.HttpPushDispatcher;
import io.drover.dispatch.PgListener;
import io.drover.dispatch.WorkerRoutes;
import io.drover.http.HttpApi;
import io.drover.http.Route;
import io.drover.identity.ApiKeys;
import io.drover.identity.Identity;
import io.drover.jobs.JobRoutes;
import io.drover.mail.SmtpMailer;
import io.drover.jobs.JobStore;
import io.drover.maintenance.DelayedPromoter;
import io.drover.maintenance.LeaseReaper;
import io.drover.metrics.OpsRoutes;
import io.drover.metrics.QueueDepth;
import io.drover.metrics.HttpMetrics;
import io.drover.metrics.JobMetrics;
import io.drover.metrics.QueueMetrics;
import io.drover.runs.QueueEvents;
import io.drover.runs.RunMaintenance;
import io.drover.runs.RunRoutes;
import io.drover.runs.RunStore;
import io.drover.schedules.ScheduleTicker;
import io.drover.store.Db;
import io.drover.store.EmbeddedDatabase;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Drover node, wired by hand: database, stores, background services and the HTTP API.
 * {@link #start} brings them up in dependency order; {@link #close} takes them down in reverse,
 * letting requests and pushes in flight finish within the grace period.
 */
public final class DroverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DroverServer.class);
    public static final String VERSION = "0.1.0";
    /** At most one event fence per this many ms while events are written (and the poll then). */
    static final long FENCE_ACTIVE_MS = 25;
    /** The fence writer's poll when nothing moved for a while. */
    static final long FENCE_IDLE_MS = 250;

    private final Config config;
    private final String nodeId = makeNodeId();
    private EmbeddedDatabase embedded;
    private Db db;
    private PgListener listener;
    private DelayedPromoter promoter;
    private LeaseReaper reaper;
    private io.drover.retention.RetentionPass retention;
    private ScheduleTicker ticker;
    private io.drover.workflows.WorkflowTimers workflowTimers;
    private HttpPushDispatcher push;
    private io.drover.endpoints.EndpointHealth endpointHealth;
    private io.drover.webhooks.WebhookSender webhookSender;
    private io.drover.batches.BatchWorker batchWorker;
    private io.drover.webhooks.WebhookFanout webhookFanout;
    private io.drover.agents.AgentLiveness agentLiveness;
    private io.drover.agents.Commands agentCommands;
    private io.drover.agents.CommandSignal commandSignal;
    /** Finished runs per job and hour, from the event log (singleton). */
    private io.drover.usage.RunRollups runRollups;
    private io.drover.slos.SloEvaluator sloEvaluator;
    private io.drover.drains.LogDrainSender logDrains;
    /** Server spans: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (tests install their own tracer). */
    private final io.drover.telemetry.Tracing tracing = io.drover.telemetry.Tracing.fromEnv(System.getenv());
    /** The event log's read side; null until the event log is wired (branch evlog): no fan-out then. */
    private io.drover.eventlog.EventReader eventReader;
    private io.drover.outbound.OutboundGuard outbound;
    private HttpApi http;
    private io.drover.ui.Dashboard dashboard;
    /** The first owner's one-time link printed at start, or null when a user existed. */
    private String setupUrl;
    private io.drover.eventlog.EventLog eventLog;
    private io.drover.eventlog.FenceWriter fences;
    private io.drover.eventlog.EventStream stream;
    /** Listens to the JVM's GC notifications: closed on stop, or every server of a test JVM would leak one. */
    private io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gcMetrics;
    private RunStore runs;
    private ClaimSignal signal;
    private volatile boolean ready;
    /** The node's one clock: runs, schedules, maintenance and the rest take their time from it. */
    private final InstantSource clock;

    private DroverServer(Config config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
    }

    public static DroverServer start(Config config) throws IOException {
        return start(config, InstantSource.system());
    }

    /** A node on {@code clock}; tests pass a {@code TestClock} that they move. */
    public static DroverServer start(Config config, InstantSource clock) throws IOException {
        List<String> problems = config.validate();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        DroverServer s = new DroverServer(config, clock);
        try {
            s.startAll();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void startAll() throws IOException {
        if (config.databaseUrl().isPresent()) {
            Jdbc j = Jdbc.parse(config.databaseUrl().get());
            db = new Db(j.url(), j.user(), j.password(), config.poolSize());
        } else {
            embedded = EmbeddedDatabase.start(config.dataDir());
            db = new Db(embedded.jdbcUrl(EmbeddedDatabase.DATABASE), embedded.user(), null, config.poolSize());
        }
        db.migrate();
        Keys keys = Keys.load(config.secretsKey(), config.dataDir());
        ApiKeys apiKeys = new ApiKeys(db, keys, clock);
        apiKeys.bootstrap(config.adminApiKey(), config.dataDir());
        Identity identity = Identity.wire(db, keys, apiKeys, SmtpMailer.fromEnv(System.getenv()), clock);
        io.drover.audit.AuditRechain.run(db, identity.audit()); // rows from before V8, once, before any append

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        gcMetrics = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.FileDescriptorMetrics().bindTo(registry);
        db.bindMetrics(registry);
        QueueMetrics metrics = new QueueMetrics(registry);
        JobMetrics jobMetrics = new JobMetrics(registry, config.metricsMaxJobs());
        var secrets = new io.drover.secrets.SecretStore(db, new SecretBox(keys), identity.audit());
        JobStore jobs = new JobStore(db, new SecretBox(keys), clock);
        jobs.setAudit(identity.audit());
        // schedule rows follow their job; its SLOs are deleted with it
        jobs.setListener(new io.drover.schedules.ScheduleSync().then(io.drover.slos.SloStore.jobListener()));
        outbound = config.outboundGuard();
        jobs.setOutbound(outbound);
        runs = new RunStore(db, jobs, metrics, clock);
        db.afterCommit(runs::onCommit); // every transaction's wake-ups, delays and counts, once, after its commit
        // The event log: a commit that changed anything may have written events; its fence comes soon.
        eventLog = new io.drover.eventlog.EventLog();
        fences = new io.drover.eventlog.FenceWriter(db, eventLog, clock, FENCE_ACTIVE_MS,
                Math.min(FENCE_IDLE_MS, config.pollIntervalMs()));
        db.afterCommit(fx -> fences.poke());
        db.afterCommit(fx -> jobMetrics.record(fx.byJob())); // the per-job counts, folded per transaction
        runs.setAudit(identity.audit());
        runs.setMaxLineageDepth(config.maxLineageDepth());
        RunMaintenance maintenance = new RunMaintenance(runs);

        signal = new ClaimSignal();
        promoter = new DelayedPromoter(maintenance, config.pollIntervalMs(), clock);
        reaper = new LeaseReaper(maintenance, config.reaperIntervalMs());
        ticker = new ScheduleTicker(db, jobs, runs, config.pollIntervalMs(), clock);
        // One breaker per outbound endpoint, shared by all nodes (endpoint_circuits). Circuit changes are
        // logged and are endpoint.<circuit> events of the projects whose http jobs name the endpoint.
        endpointHealth = new io.drover.endpoints.EndpointHealth(db, config.breaker(), clock);
        endpointHealth.addHook(new io.drover.endpoints.CircuitEvents(config.breaker())); // endpoint.* events
        push = new HttpPushDispatcher(runs, jobs, "push:" + nodeId, config.pushConcurrency(),
                config.pushConnectTimeoutMs(), config.pushReadTimeoutMs(), config.pollIntervalMs())
                .withSecrets(secrets)
                .withOutbound(outbound)
                .withHealth(endpointHealth)
                .withTracing(tracing);
        runs.setEvents(new QueueEvents() {
            @Override
            public void ready(Collection<String> queues) {
                if (queues.contains(RunStore.PUSH_QUEUE)) {
                    push.wake();
                }
                signal.wake(queues);
            }

            @Override
            public void delayed(Instant at) {
                promoter.delayed(at);
            }
        });
        listener = new PgListener(db, queues -> {
            // Every node's NOTIFYs, this one's included: claim cursors first, then the wake-ups.
            if (queues.isEmpty()) {
                runs.claimCursors().resetAll(); // wake-ups may have been missed
            } else {
                runs.claimCursors().ready(queues);
            }
            if (queues.isEmpty() || queues.contains(RunStore.PUSH_QUEUE)) {
                push.wake();
            }
            signal.wake(queues);
            fences.poke(); // another node's trigger committed
        });
        listener.listen("drover_event_fences", eventLog::fenced);
        stream = new io.drover.eventlog.EventStream(db, eventLog, config.pollIntervalMs());

        // Workflows advance inside the transactions that settle their steps' runs (RunSettledHook).
        var workflows = new io.drover.workflows.WorkflowStore(db, jobs);
        var engine = new io.drover.workflows.Engine(db, workflows, jobs, runs, clock);
        runs.setSettledHook(engine);
        var eventService = new io.drover.events.EventService(db, engine);
        var approvalService = new io.drover.events.ApprovalService(db, eventService, clock);
        workflows.setAudit(identity.audit());
        eventService.setAudit(identity.audit());
        eventService.setRunWaiters(runs::eventReceived);
        workflowTimers = new io.drover.workflows.WorkflowTimers(db, engine, approvalService, config.pollIntervalMs(),
                clock);
        engine.setTimerWake(workflowTimers::wake);
        retention = new io.drover.retention.RetentionPass(db, identity.audit(), clock);
        retention.addTarget(io.drover.ingest.EventSources.retentionTarget());
        var eventSources = new io.drover.ingest.EventSources(db, new SecretBox(keys), identity.audit());

        // Outbound webhooks: the sender runs on every node; the fan-out (events -> deliveries) only
        // once an EventReader exists (the event log, below).
        var webhooks = new io.drover.webhooks.WebhookStore(db, new SecretBox(keys), identity.audit(), clock);
        webhookSender = new io.drover.webhooks.WebhookSender(db, webhooks, clock, "webhooks:" + nodeId,
                config.pushConcurrency(), config.webhookBackoffMs(), config.webhookMaxAttempts(),
                config.pushConnectTimeoutMs(), io.drover.webhooks.WebhookSender.REQUEST_TIMEOUT_MS,
                io.drover.webhooks.WebhookSender.REQUEST_TIMEOUT_MS + 30_000, config.pollIntervalMs())
                .withOutbound(outbound);
        eventReader = eventLog; // the event log (branch evlog) is the fan-out's EventReader
        // a delivery that gave up is a webhook.dead event, written in the transaction that marks it dead
        webhookSender.withDeadHook((c, d) -> io.drover.eventlog.EventWrites.insert(c, d.projectId(),
                io.drover.webhooks.WebhookFanout.DEAD, d.runId(), io.drover.http.Json.object()
                        .put("delivery_id", d.id().toString()).put("webhook_id", d.webhookId().toString())
                        .put("event_id", d.eventId()).put("event_type", d.eventType()).put("attempts", d.attempts())
                        .put("last_status_code", d.lastStatusCode()).put("last_error", d.lastError()),
                io.drover.store.SqlTime.now(clock)));
        if (eventReader != null) {
            webhookFanout = new io.drover.webhooks.WebhookFanout(db, eventReader,
                    new io.drover.redact.Redactions(db), clock, config.pollIntervalMs())
                    .onDeliveries(webhookSender::wake);
        }
        retention.addTarget(new io.drover.retention.RetentionPass.Target(io.drover.webhooks.WebhookStore.sql(),
                "delete_deliveries", List.of("webhook_deliveries")));
        // AI usage and cost: records, prices, budgets (a trigger gate on every new run); raw rows and
        // spend counters follow retention_days.
        var pricing = new io.drover.usage.Pricing();
        var budgets = new io.drover.usage.Budgets(db, clock);
        runs.setTriggerGate(budgets);
        var usage = new io.drover.usage.UsageStore(db, runs, pricing, clock);
        usage.setMetrics(new io.drover.usage.UsageMetrics(registry, config.metricsMaxJobs()));
        retention.addTarget(new io.drover.retention.RetentionPass.Target(io.drover.usage.UsageStore.sql(),
                "delete_usage", List.of("usage_records")));
        retention.addTarget(new io.drover.retention.RetentionPass.Target(io.drover.usage.UsageStore.sql(),
                "delete_windows", List.of("spend_windows")));

        // Agents beside other engines: registry, protocol, tasks, commands; liveness on one node at a time.
        var agentStore = new io.drover.agents.AgentStore(db, keys, identity.audit(), clock);
        var agentProtocol = new io.drover.agents.AgentProtocol(db, new io.drover.redact.Redactions(db), clock,
                config.agentHeartbeatMs());
        commandSignal = new io.drover.agents.CommandSignal();
        listener.listen(io.drover.agents.CommandSignal.CHANNEL, commandSignal::notified); // another node's commands
        agentCommands = new io.drover.agents.Commands(db, identity.audit(), commandSignal, clock,
                io.drover.agents.Commands.DEFAULT_TTL_MS);
        agentLiveness = new io.drover.agents.AgentLiveness(db, clock, config.pollIntervalMs());
        for (var t : List.of(new io.drover.retention.RetentionPass.Target(io.drover.agents.AgentStore.sql(),
                        "delete_tasks", List.of("agent_tasks", "agent_task_events")),
                new io.drover.retention.RetentionPass.Target(io.drover.agents.AgentStore.sql(), "delete_task_events",
                        List.of("agent_task_events")),
                new io.drover.retention.RetentionPass.Target(io.drover.agents.AgentStore.sql(), "delete_commands",
                        List.of("agent_commands")))) {
            retention.addTarget(t);
        }
        // Log drains: NDJSON batches of a project's events, one cursor per drain, sent by one node at a time.
        var drains = new io.drover.drains.LogDrainStore(db, new SecretBox(keys), identity.audit(), eventLog, clock);
        logDrains = new io.drover.drains.LogDrainSender(db, drains, eventLog, new io.drover.redact.Redactions(db),
                clock, "drains:" + nodeId, config.webhookBackoffMs(), config.webhookMaxAttempts(),
                config.pushConnectTimeoutMs(), io.drover.webhooks.WebhookSender.REQUEST_TIMEOUT_MS,
                config.pollIntervalMs()).withOutbound(outbound);
        retention.addTarget(new io.drover.retention.RetentionPass.Target(io.drover.drains.LogDrainStore.sql(),
                "delete_batches", List.of("log_drain_batches")));

        List<Route> routes = new ArrayList<>();
        routes.addAll(new JobRoutes(jobs).routes());
        routes.addAll(new io.drover.runs.TriggerRoutes(jobs, runs).withTracing(tracing).routes());
        routes.addAll(new RunRoutes(runs, jobs, identity.outlets()).routes());
        routes.addAll(new io.drover.runs.RunRecordRoutes(runs, identity.outlets()).routes());
        routes.addAll(identity.routes());
        routes.addAll(new io.drover.secrets.SecretRoutes(secrets).routes());
        routes.addAll(new io.drover.audit.AuditRoutes(identity.auditStore()).routes());
        routes.addAll(new WorkerRoutes(runs, signal, config.pollIntervalMs())
                .withSecrets(new io.drover.secrets.ClaimSecrets(secrets, jobs)).withTracing(tracing).routes());
        routes.addAll(new io.drover.workflows.WorkflowRoutes(workflows,
                new io.drover.workflows.WorkflowRuns(db, workflows, engine)).routes());
        routes.addAll(new io.drover.events.EventRoutes(eventService, approvalService).routes());
        routes.addAll(new io.drover.retention.RetentionRoutes(retention, db, identity.audit()).routes());
        routes.addAll(new io.drover.ingest.IngestRoutes(eventSources, new io.drover.ingest.Ingest(db, eventSources,
                jobs, runs, workflows, engine, clock), jobs, workflows).routes());
        routes.addAll(new io.drover.endpoints.EndpointRoutes(endpointHealth).routes());
        routes.addAll(new io.drover.webhooks.WebhookRoutes(webhooks, outbound).routes());
        // Batch cancel/replay: worked off on every node, a chunk per transaction (BatchStore.work).
        var batches = new io.drover.batches.BatchStore(db, runs, identity.audit());
        batchWorker = new io.drover.batches.BatchWorker(batches, config.pollIntervalMs());
        retention.addTarget(io.drover.batches.BatchStore.retentionTarget());
        routes.addAll(new io.drover.batches.BatchRoutes(batches, jobs, batchWorker::wake).routes());
        routes.addAll(new io.drover.ratelimits.RateLimitRoutes(
                new io.drover.ratelimits.RateLimitStore(db, identity.audit())).routes());
        runRollups = new io.drover.usage.RunRollups(db, eventLog, config.pollIntervalMs());
        routes.addAll(new io.drover.usage.UsageRoutes(db, usage, pricing, budgets, jobs, clock).routes());
        // SLOs: evaluated from job_hourly by one node's pass; their history follows retention_days.
        var slos = new io.drover.slos.SloStore(db, identity.audit(), clock);
        sloEvaluator = new io.drover.slos.SloEvaluator(db, slos, clock, io.drover.slos.SloEvaluator.INTERVAL_MS);
        retention.addTarget(new io.drover.retention.RetentionPass.Target(io.drover.slos.SloStore.sql(),
                "delete_evaluations", List.of("slo_evaluations")));
        routes.addAll(new io.drover.slos.SloRoutes(slos, jobs).routes());
        routes.addAll(new io.drover.drains.LogDrainRoutes(drains, outbound).routes());
        routes.addAll(stream.routes());
        var agentTasks = new io.drover.agents.TaskStore(db);
        routes.addAll(new io.drover.agents.AgentRoutes(agentStore, agentTasks, agentCommands).routes());
        routes.addAll(new io.drover.agents.AgentProtocolRoutes(agentStore, agentProtocol, agentCommands).routes());
        // Run events leave redacted for every reader (Outlets.event), on the stream as on GET /v1/runs/{id}/events.
        stream.setRedaction(e -> !e.type().startsWith("run.") ? e
                : new io.drover.eventlog.Event(e.id(), e.type(), e.occurredAt(), e.projectId(), e.runId(),
                        identity.outlets().event(new io.drover.access.Principal(e.projectId(), null,
                                io.drover.access.Role.VIEWER), e.data())));
        List<Route> all = new ArrayList<>(routes);
        routes.addAll(0, new OpsRoutes(db, registry, new QueueDepth(db, registry), () -> ready, () -> all, VERSION)
                .routes());
        all.clear();
        all.addAll(routes);

        listener.start();
        promoter.start();
        reaper.start();
        ticker.start();
        workflowTimers.start();
        retention.start();
        fences.start();
        if (config.pushEnabled()) {
            push.start();
        }
        webhookSender.start();
        agentLiveness.start();
        batchWorker.start();
        runRollups.start();
        sloEvaluator.start();
        if (webhookFanout != null) {
            webhookFanout.start();
        }
        logDrains.start();
        // The dashboard under /ui/ (its pages read the same stores; sign-in is the API's session code).
        dashboard = io.drover.ui.Dashboard.wire(db, keys, clock, identity,
                new io.drover.ui.Dashboard.Stores(db, runs, jobs, workflows,
                        new io.drover.workflows.WorkflowRuns(db, workflows, engine), approvalService, webhooks,
                        endpointHealth, identity.auditStore(), new io.drover.identity.ApiKeyAdmin(db, apiKeys,
                                identity.audit(), clock), agentStore, agentTasks, agentCommands,
                        new io.drover.usage.UsageReader(db, budgets, clock)));
        http = new HttpApi(routes, identity.authenticator(), config.maxBodyBytes(), config.bindHost(), config.port(),
                config.httpIdleTimeoutMs(), new io.drover.http.RateLimiter(config.rateLimitPerSec(),
                        config.rateLimitBurst(), clock), new HttpMetrics(registry), dashboard.routes()::register)
                .start();
        ready = true;
        log.info("outbound requests may reach {}", outbound);
        log.info("drover {} node {} listening on port {} ({})", VERSION, nodeId, http.port(),
                embedded != null ? "embedded PostgreSQL in " + config.dataDir().toAbsolutePath() : "external PostgreSQL");
        setupUrl = dashboard.announceSetup("http://" + (config.bindHost().equals("0.0.0.0") ? "localhost"
                : config.bindHost()) + ":" + http.port());
    }

    public int port() {
        return http.port();
    }

    public Db db() {
        return db;
    }

    /** What outbound requests may reach (tests replace its DNS lookup through it). */
    public io.drover.outbound.OutboundGuard outbound() {
        return outbound;
    }

    public RunStore runs() {
        return runs;
    }

    /** Where this node's long-poll claims park. */
    public ClaimSignal claimSignal() {
        return signal;
    }

    /** The background services, for tests that run a pass themselves ({@code runOnce}) after moving the clock. */
    public LeaseReaper reaper() {
        return reaper;
    }

    /** The batch cancel/replay worker (tests stop it to hold a batch half done). */
    public io.drover.batches.BatchWorker batchWorker() {
        return batchWorker;
    }

    /** The hourly retention pass (tests call {@code runOnce} after moving the clock). */
    public io.drover.retention.RetentionPass retention() {
        return retention;
    }

    /** Outbound endpoints' health and circuits (webhooks and log drains call it as HTTP push does). */
    public io.drover.endpoints.EndpointHealth endpointHealth() {
        return endpointHealth;
    }

    /** This node's webhook sender (tests). */
    public io.drover.webhooks.WebhookSender webhookSender() {
        return webhookSender;
    }

    /** The server's spans (tests {@code use} an in-memory tracer). */
    public io.drover.telemetry.Tracing tracing() {
        return tracing;
    }

    /** This node's log drain sender (tests shorten its batching). */
    public io.drover.drains.LogDrainSender logDrains() {
        return logDrains;
    }

    /** The webhook fan-out, or null while no EventReader is wired. */
    public io.drover.webhooks.WebhookFanout webhookFanout() {
        return webhookFanout;
    }

    /** The agents' liveness pass and command expiry (tests call {@code pass} after moving the clock). */
    public io.drover.agents.AgentLiveness agentLiveness() {
        return agentLiveness;
    }

    /** Commands for agents, with the signal their long-polls park on (tests await a parked poll). */
    public io.drover.agents.Commands agentCommands() {
        return agentCommands;
    }

    /** The hourly run rollup (tests run a pass themselves). */
    public io.drover.usage.RunRollups runRollups() {
        return runRollups;
    }

    /** The SLO evaluation pass (tests stop it and run passes themselves after moving the clock). */
    public io.drover.slos.SloEvaluator sloEvaluator() {
        return sloEvaluator;
    }

    /** The event log's read side (webhooks and log drains read it too). */
    public io.drover.eventlog.EventLog eventLog() {
        return eventLog;
    }

    /** The fence writer (tests run a pass themselves). */
    public io.drover.eventlog.FenceWriter fenceWriter() {
        return fences;
    }

    /** The live stream (tests shorten its keep-alive and buffer). */
    public io.drover.eventlog.EventStream eventStream() {
        return stream;
    }

    public DelayedPromoter promoter() {
        return promoter;
    }

    /** Sleeps, approval expiries, step timeouts (tests call {@code runOnce} after moving a test clock). */
    public io.drover.workflows.WorkflowTimers workflowTimers() {
        return workflowTimers;
    }

    public ScheduleTicker ticker() {
        return ticker;
    }

    /** This node's LISTEN connection (tests stop it to show what works without NOTIFY). */
    public PgListener listener() {
        return listener;
    }

    public String nodeId() {
        return nodeId;
    }

    public List<Route> routes() {
        return http.routes();
    }

    /** The dashboard (tests list its routes). */
    public io.drover.ui.Dashboard dashboard() {
        return dashboard;
    }

    /** The first owner's one-time setup link this start printed (null when a user existed); tests follow it. */
    public String setupUrl() {
        return setupUrl;
    }

    /** Graceful stop: no new requests, in-flight requests and pushes finish, services stop, database closes. */
    @Override
    public void close() {
        ready = false;
        Duration grace = Duration.ofMillis(config.shutdownGraceMs());
        if (stream != null) {
            stream.close(); // open streams end now; their clients reconnect with Last-Event-ID elsewhere
        }
        if (commandSignal != null) {
            commandSignal.close(); // parked agent command polls answer now, before the pool closes
        }
        if (http != null) {
            http.stop();
        }
        if (push != null) {
            push.shutdown(grace);
        }
        if (webhookSender != null) {
            webhookSender.shutdown(grace);
        }
        if (logDrains != null) {
            logDrains.shutdown(grace);
        }
        for (var service : new io.drover.maintenance.Service[] {agentLiveness, batchWorker, runRollups, sloEvaluator, webhookFanout, retention, workflowTimers, ticker, reaper,
                promoter}) {
            if (service != null) {
                service.stop();
            }
        }
        if (fences != null) {
            fences.close();
        }
        if (listener != null) {
            listener.stop();
        }
        if (db != null) {
            db.close();
        }
        if (gcMetrics != null) {
            gcMetrics.close();
        }
        if (embedded != null) {
            embedded.close();
        }
        log.info("drover node {} stopped", nodeId);
    }

    private static String makeNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "node";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A JDBC URL with credentials, from either accepted form of DROVER_DATABASE_URL. */
    public record Jdbc(String url, String user, String password) {
        public static Jdbc parse(String value) {
            if (value.startsWith("jdbc:")) {
                return new Jdbc(value, null, null);
            }
            URI uri = URI.create(value.replaceFirst("^postgres(ql)?://", "http://"));
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
                password = parts.length > 1
                        ? java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8) : null;
            }
            String url = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + Optional.ofNullable(uri.getRawPath()).orElse("/")
                    + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
            return new Jdbc(url, user, password);
        }
    }
}
