package io.drover.ui;

import io.drover.access.Role;
import io.drover.audit.AuditEvent;
import io.drover.audit.AuditStore;
import java.util.List;

/**
 * The audit log (admins, as the API): newest first, filtered by action and target type, paged by
 * sequence; the verify button checks the project's hash chain against its signed head.
 */
public final class AuditPage {
    private final AuditStore store;

    public AuditPage(AuditStore store) {
        this.store = store;
    }

    public record Audit(String action, String targetType, List<AuditEvent> events, Long nextBefore,
            AuditStore.Verification verification) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Audit log";
        }

        public String nextUrl() {
            return "/ui/audit?before=" + nextBefore + (action == null ? "" : "&action=" + Fmt.q(action))
                    + (targetType == null ? "" : "&target_type=" + Fmt.q(targetType));
        }
    }

    public List<UiRoute> routes() {
        return List.of(
                new UiRoute("GET", "/ui/audit", Role.ADMIN, "Audit", c -> View.page("audit.jte", audit(c, null))),
                UiRoute.post("/ui/audit/verify", Role.ADMIN, c -> View.fragment("audit_verify.jte",
                        audit(c, store.verify(c.projectId())))));
    }

    Audit audit(UiCall c, AuditStore.Verification v) {
        String action = c.query("action");
        String target = c.query("target_type");
        long before = 0;
        if (c.query("before") != null) {
            try {
                before = Long.parseLong(c.query("before"));
            } catch (NumberFormatException e) {
                throw new io.drover.errors.Invalid("before", "must be an audit sequence number");
            }
        }
        if (v != null) {
            return new Audit(action, target, List.of(), null, v);
        }
        List<AuditEvent> rows = store.list(new AuditStore.Filter(c.projectId(), action, null, target, null, null, null),
                before, RunPages.PAGE);
        boolean more = rows.size() > RunPages.PAGE;
        List<AuditEvent> page = more ? rows.subList(0, RunPages.PAGE) : rows;
        return new Audit(action, target, page, more ? page.get(page.size() - 1).seq() : null, null);
    }
}
