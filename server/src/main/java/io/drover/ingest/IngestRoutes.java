package io.drover.ingest;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.workflows.EventTemplates;
import io.drover.workflows.Workflow;
import io.drover.workflows.WorkflowStore;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** {@code /v1/event-sources} (admin writes, viewer reads) and {@code POST /v1/ingest/{source_id}} (no key). */
public final class IngestRoutes {
    static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-_]{0,99}");
    private final EventSources sources;
    private final Ingest ingest;
    private final JobStore jobs;
    private final WorkflowStore workflows;

    public IngestRoutes(EventSources sources, Ingest ingest, JobStore jobs, WorkflowStore workflows) {
        this.sources = sources;
        this.ingest = ingest;
        this.jobs = jobs;
        this.workflows = workflows;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/event-sources", Role.ADMIN,
                        "Create an inbound event source {slug, verify}; its secret is shown once", this::create),
                get("/v1/event-sources", Role.VIEWER, "List event sources",
                        c -> Reply.ok(Page.slice(sources.list(c.projectId()), c, EventSources.Source::id)
                                .toJson(EventSources.Source::toJson))),
                get("/v1/event-sources/{id}", Role.VIEWER, "Get an event source (never its secret)",
                        c -> Reply.ok(sources.get(c.projectId(), c.path("id")).toJson())),
                delete("/v1/event-sources/{id}", Role.ADMIN,
                        "Delete an event source with its subscriptions and ingested events", c -> {
                            sources.delete(c.projectId(), c.path("id"));
                            return Reply.ok(Json.object().put("deleted", true));
                        }),
                post("/v1/event-sources/{id}/subscriptions", Role.ADMIN,
                        "Subscribe a job or workflow to a source {job | workflow, filter, payload}", this::subscribe),
                get("/v1/event-sources/{id}/subscriptions", Role.VIEWER, "List a source's subscriptions", c -> {
                    var src = sources.get(c.projectId(), c.path("id"));
                    return Reply.ok(Page.slice(sources.subscriptions(c.projectId(), src.id()), c,
                            EventSources.Subscription::id).toJson(EventSources.Subscription::toJson));
                }),
                delete("/v1/event-sources/{id}/subscriptions/{sub_id}", Role.ADMIN, "Delete a subscription", c -> {
                    var src = sources.get(c.projectId(), c.path("id"));
                    sources.unsubscribe(c.projectId(), src, c.pathUuid("sub_id", "subscription"));
                    return Reply.ok(Json.object().put("deleted", true));
                }),
                get("/v1/event-sources/{id}/events", Role.VIEWER, "Ingested events of a source, newest first", c -> {
                    var src = sources.get(c.projectId(), c.path("id"));
                    String cursor = c.query("cursor");
                    return Reply.ok(sources.events(c.projectId(), src.id(),
                            cursor == null || cursor.isEmpty() ? null : Page.decode(cursor),
                            Page.limit(c.query("limit"))).toJson(n -> n));
                }),
                post("/v1/ingest/{source_id}", null,
                        "Deliver an event to a source (no API key; signed unless the source's verify is none)",
                        c -> new Reply(202, ingest.accept(c.path("source_id"), c.ctx()::header, c.rawBody()),
                                "application/json")));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("slug", "verify"));
        String slug = in.requiredString("slug", 100);
        if (!SLUG.matcher(slug).matches()) {
            throw ApiError.invalid("slug", "must match [a-z0-9][a-z0-9-_]* (at most 100 characters)");
        }
        String verify = in.oneOf("verify", EventSources.STANDARD_WEBHOOKS,
                Set.of(EventSources.STANDARD_WEBHOOKS, EventSources.HMAC_SHA256, EventSources.NONE));
        EventSources.Created created = sources.create(c.projectId(), slug, verify);
        ObjectNode n = created.source().toJson();
        if (created.secret() == null) {
            n.putNull("secret");
        } else {
            n.put("secret", created.secret());
        }
        n.put("ingest_url", baseUrl(c) + "/v1/ingest/" + created.source().id());
        return Reply.created(n);
    }

    private static String baseUrl(Call c) {
        String host = c.ctx().header("Host");
        return host == null || host.isBlank() ? "" : c.ctx().scheme() + "://" + host;
    }

    private Reply subscribe(Call c) {
        EventSources.Source src = sources.get(c.projectId(), c.path("id"));
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("job", "workflow", "filter", "payload"));
        String jobRef = in.string("job", null, 255);
        String wfRef = in.string("workflow", null, 255);
        if ((jobRef == null) == (wfRef == null)) {
            throw ApiError.invalid(jobRef == null ? "job" : "workflow", "give exactly one of job and workflow");
        }
        JsonNode filter = in.get("filter");
        if (filter != null && filter.isNull()) {
            filter = null;
        }
        if (filter != null) {
            try {
                EventTemplates.condition(filter);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("filter", e.getMessage());
            }
        }
        JsonNode payload = in.get("payload");
        if (payload != null && payload.isNull()) {
            payload = null;
        }
        if (payload != null) {
            try {
                EventTemplates.template(payload);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("payload", e.getMessage());
            }
            String bad = Json.unstorablePath(payload, "payload");
            if (bad != null) {
                throw ApiError.invalid(bad, "holds a value PostgreSQL cannot store");
            }
        }
        UUID jobId = null;
        String jobSlug = null;
        UUID wfId = null;
        String wfSlug = null;
        if (jobRef != null) {
            Job job = jobs.find(c.projectId(), jobRef);
            if (job == null) {
                throw ApiError.invalid("job", "no job '" + jobRef + "' in this project");
            }
            jobId = job.id();
            jobSlug = job.spec().slug();
        } else {
            Workflow wf = workflows.find(c.projectId(), wfRef);
            if (wf == null) {
                throw ApiError.invalid("workflow", "no workflow '" + wfRef + "' in this project");
            }
            wfId = wf.id();
            wfSlug = wf.spec().slug();
        }
        return Reply.created(sources.subscribe(c.projectId(), src, jobId, jobSlug, wfId, wfSlug, filter, payload)
                .toJson());
    }
}
