package io.drover.ui;

import io.drover.crypto.Keys;
import io.drover.identity.FirstOwner;
import io.drover.identity.Identity;
import io.drover.identity.Login;
import io.drover.identity.LoginThrottle;
import io.drover.identity.Passwords;
import io.drover.identity.Projects;
import io.drover.identity.Sessions;
import io.drover.identity.UserAdmin;
import io.drover.identity.Users;
import io.drover.jobs.JobStore;
import io.drover.runs.RunStore;
import io.drover.store.Db;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard wired by hand: the sign-in pieces (the API's login and sessions over the same
 * tables and keys), the first-owner setup, and the pages in menu order. A new page is a class with
 * {@code routes()} and a template, added here.
 */
public final class Dashboard {
    private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
    private final DashboardRoutes routes;
    private final FirstOwner firstOwner;

    /** The stores the pages read. */
    public record Stores(Db db, RunStore runs, JobStore jobs, io.drover.workflows.WorkflowStore workflows,
            io.drover.workflows.WorkflowRuns workflowRuns, io.drover.events.ApprovalService approvals,
            io.drover.webhooks.WebhookStore webhooks, io.drover.endpoints.EndpointHealth endpoints,
            io.drover.audit.AuditStore audit, io.drover.identity.ApiKeyAdmin apiKeys,
            io.drover.agents.AgentStore agents, io.drover.agents.TaskStore tasks, io.drover.agents.Commands commands,
            io.drover.usage.UsageReader usage) {}

    private Dashboard(DashboardRoutes routes, FirstOwner firstOwner) {
        this.routes = routes;
        this.firstOwner = firstOwner;
    }

    public static Dashboard wire(Db db, Keys keys, InstantSource clock, Identity identity, Stores stores) {
        Passwords passwords = new Passwords();
        Sessions sessions = new Sessions(db, keys, clock);
        Users users = new Users(db);
        Login login = new Login(db, users, passwords, sessions, new LoginThrottle(db, clock), identity.audit());
        FirstOwner firstOwner = new FirstOwner(db, keys, new UserAdmin(db, passwords, identity.audit()),
                identity.audit(), clock);
        DashboardRoutes routes = new DashboardRoutes(identity.authenticator(), login, sessions, users,
                new Projects(db), firstOwner)
                .add(new OverviewPage(db, stores.runs(), clock).routes())
                .add(new RunPages(stores.runs(), stores.jobs(), identity.outlets()).routes())
                .add(new JobPages(stores.jobs(), clock).routes())
                .add(new WorkflowPages(stores.workflows(), stores.workflowRuns()).routes())
                .add(new AgentPages(stores.agents(), stores.tasks(), stores.commands()).routes())
                .add(new ApprovalsPage(stores.approvals()).routes())
                .add(new WebhookPages(stores.webhooks()).routes())
                .add(new EndpointsPage(stores.endpoints()).routes())
                .add(new UsagePage(stores.usage(), clock).routes())
                .add(new AuditPage(stores.audit()).routes())
                .add(new SettingsPage(new io.drover.identity.Members(db), stores.apiKeys()).routes());
        return new Dashboard(routes, firstOwner);
    }

    public DashboardRoutes routes() {
        return routes;
    }

    /**
     * On a start where no user exists: a one-time setup link for the first owner (24 h), printed to
     * standard output; the log says that it was, without the token (logs travel further than a console).
     *
     * @return the link, or null when a user exists
     */
    public String announceSetup(String baseUrl) {
        return firstOwner.issue().map(t -> {
            String url = baseUrl + "/ui/setup?token=" + t.token();
            System.out.println("No user exists yet. Create the first owner (one-time link, valid until "
                    + t.expiresAt() + "):\n  " + url);
            log.warn("no user exists yet: the one-time first-owner link /ui/setup?token=... was printed to standard"
                    + " output (valid until {}); or run `drover users create --role owner --password-stdin`",
                    t.expiresAt());
            return url;
        }).orElse(null);
    }
}
