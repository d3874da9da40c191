package io.drover.ui;

import io.drover.access.Role;
import io.drover.events.Approval;
import io.drover.events.ApprovalService;
import io.drover.http.Page;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The approvals inbox: pending requests first (any status by filter), approve or reject for operators. */
public final class ApprovalsPage {
    static final Set<String> STATUSES = Set.of("pending", "approved", "rejected", "expired", "canceled");
    private final ApprovalService approvals;

    public ApprovalsPage(ApprovalService approvals) {
        this.approvals = approvals;
    }

    public record Inbox(String status, List<Approval> approvals, String nextCursor, boolean canAct)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Approvals";
        }
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/approvals", "Approvals", c -> {
                    String status = c.query("status") == null ? "pending" : c.query("status");
                    if (!STATUSES.contains(status)) {
                        throw new io.drover.errors.Invalid("status",
                                "must be pending, approved, rejected, expired or canceled");
                    }
                    List<Approval> rows = approvals.list(c.projectId(), status, Page.decode(c.query("cursor")),
                            RunPages.PAGE + 1);
                    Page<Approval> page = Page.of(rows, RunPages.PAGE, Approval::id);
                    c.live("/v1/stream?types=approval.*");
                    return View.page("approvals.jte", new Inbox(status, page.data(), page.nextCursor(),
                            c.can(Role.OPERATOR)));
                }),
                UiRoute.post("/ui/approvals/{id}/approve", Role.OPERATOR, c -> resolve(c, true)),
                UiRoute.post("/ui/approvals/{id}/reject", Role.OPERATOR, c -> resolve(c, false)));
    }

    private View resolve(UiCall c, boolean approve) {
        UUID id = c.pathUuid("id", "approval");
        String comment = c.form("comment");
        if (comment != null && comment.length() > 2000) {
            throw new io.drover.errors.Invalid("comment", "must be at most 2000 characters");
        }
        String by = c.principal().isUser() ? "user:" + c.principal().userId() : "key:" + c.principal().keyId();
        approvals.resolve(c.projectId(), id, approve, comment, by);
        return View.redirect("/ui/approvals");
    }
}
