package io.drover.ui;

import io.drover.access.Role;
import io.drover.http.Page;
import io.drover.webhooks.Delivery;
import io.drover.webhooks.Webhook;
import io.drover.webhooks.WebhookStore;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Webhooks (never their signing secret) and a webhook's deliveries, with replay for operators. */
public final class WebhookPages {
    static final Set<String> STATUSES = Set.of("pending", "succeeded", "dead");
    private final WebhookStore webhooks;

    public WebhookPages(WebhookStore webhooks) {
        this.webhooks = webhooks;
    }

    public record WebhookList(List<Webhook> webhooks) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Webhooks";
        }
    }

    public record Deliveries(Webhook webhook, String status, List<Delivery> deliveries, String nextCursor,
            boolean canReplay) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Deliveries";
        }
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/webhooks", "Webhooks", c -> View.page("webhooks.jte",
                        new WebhookList(webhooks.list(c.projectId())))),
                UiRoute.get("/ui/webhooks/{id}", Role.VIEWER, c -> {
                    Webhook w = webhooks.get(c.projectId(), c.pathUuid("id", "webhook"));
                    String status = c.query("status");
                    if (status != null && !STATUSES.contains(status)) {
                        throw new io.drover.errors.Invalid("status", "must be pending, succeeded or dead");
                    }
                    List<Delivery> rows = webhooks.deliveries(c.projectId(), w.id(), status,
                            Page.decode(c.query("cursor")), RunPages.PAGE);
                    Page<Delivery> page = Page.of(rows, RunPages.PAGE, Delivery::id);
                    return View.page("webhook.jte", new Deliveries(w, status, page.data(), page.nextCursor(),
                            c.can(Role.OPERATOR)));
                }),
                UiRoute.post("/ui/webhook-deliveries/{id}/replay", Role.OPERATOR, c -> {
                    UUID id = c.pathUuid("id", "delivery");
                    Delivery d = webhooks.replay(c.projectId(), id);
                    return View.redirect("/ui/webhooks/" + d.webhookId());
                }));
    }
}
