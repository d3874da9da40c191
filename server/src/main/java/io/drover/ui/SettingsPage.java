package io.drover.ui;

import io.drover.identity.ApiKeyAdmin;
import io.drover.identity.Members;
import java.util.List;

/**
 * Settings: the project's members and API keys (name, prefix, role, last use: never the key). Changes
 * go through the API and the CLI for now (invitations, roles, keys); this page shows them.
 */
public final class SettingsPage {
    private final Members members;
    private final ApiKeyAdmin keys;

    public SettingsPage(Members members, ApiKeyAdmin keys) {
        this.members = members;
        this.keys = keys;
    }

    public record Settings(List<Members.Member> members, List<ApiKeyAdmin.Key> keys) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Settings";
        }
    }

    public List<UiRoute> routes() {
        return List.of(new UiRoute("GET", "/ui/settings", io.drover.access.Role.ADMIN, "Settings",
                c -> View.page("settings.jte", new Settings(members.list(c.projectId()), keys.list(c.projectId())))));
    }
}
