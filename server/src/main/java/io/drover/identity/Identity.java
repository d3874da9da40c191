package io.drover.identity;

import java.time.InstantSource;
import io.drover.audit.AuditLog;
import io.drover.audit.AuditRoutes;
import io.drover.audit.AuditStore;
import io.drover.crypto.Keys;
import io.drover.crypto.SecretBox;
import io.drover.http.Route;
import io.drover.mail.Mailer;
import io.drover.redact.Outlets;
import io.drover.redact.Redactions;
import io.drover.secrets.SecretRoutes;
import io.drover.secrets.SecretStore;
import io.drover.store.Db;
import java.util.ArrayList;
import java.util.List;

/**
 * The identity capability wired by hand: users, sessions, projects and members, invitations,
 * resets, API key administration, the audit log, secrets and redaction. {@code DroverServer}
 * takes the pieces the rest of the server needs from here.
 */
public record Identity(Authenticator authenticator, AuditLog audit, AuditStore auditStore, SecretStore secrets,
        Outlets outlets, List<Route> routes) {

    public static Identity wire(Db db, Keys keys, ApiKeys apiKeys, Mailer mailer) {
        return wire(db, keys, apiKeys, mailer, InstantSource.system());
    }

    /** Identity on the node's clock (sessions, invitations, resets, throttles and key expiry). */
    public static Identity wire(Db db, Keys keys, ApiKeys apiKeys, Mailer mailer, InstantSource clock) {
        Redactions redactions = new Redactions(db);
        AuditLog audit = new AuditLog(keys, redactions);
        AuditStore auditStore = new AuditStore(db, audit);
        Users users = new Users(db);
        Projects projects = new Projects(db);
        Members members = new Members(db);
        Passwords passwords = new Passwords();
        Sessions sessions = new Sessions(db, keys, clock);
        LoginThrottle throttle = new LoginThrottle(db, clock);
        Login login = new Login(db, users, passwords, sessions, throttle, audit);
        Invitations invitations = new Invitations(db, new Tokens(keys, "invitation", "dri_"), users, members,
                passwords, mailer, audit, clock);
        PasswordResets resets = new PasswordResets(db, new Tokens(keys, "password reset", "drp_"), users, passwords,
                sessions, mailer, audit, throttle, clock);
        SecretStore secrets = new SecretStore(db, new SecretBox(keys), audit);

        List<Route> routes = new ArrayList<>();
        routes.addAll(new AuthRoutes(login, sessions, users, projects, invitations, resets).routes());
        routes.addAll(new ProjectRoutes(projects, members, new ProjectAdmin(db, projects, members, audit, redactions),
                invitations).routes());
        routes.addAll(new ApiKeyRoutes(new ApiKeyAdmin(db, apiKeys, audit, clock), clock).routes());
        routes.addAll(new SecretRoutes(secrets).routes());
        routes.addAll(new AuditRoutes(auditStore).routes());
        return new Identity(new Authenticator(apiKeys, sessions, projects, members), audit, auditStore, secrets,
                new Outlets(redactions), List.copyOf(routes));
    }
}
