package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.access.Role;
import io.drover.testing.DroverTest;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every dashboard route, as the API's AuthTest does for the API: unsigned requests go to sign-in,
 * a role below the route's gets 403 and changes nothing, a role at or above it is never refused.
 */
@DroverTest
class UiRoleTest {
    static TestServer server;
    static Map<String, UiClient> users = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        for (String role : List.of("viewer", "operator", "admin", "owner")) {
            users.put(role, UiKit.user(server, role + "-ui@example.com", role));
        }
    }

    static String path(UiRoute r) {
        return r.path().replace("{job}", "no-such-job").replace("{step}", "no-step")
                .replaceAll("\\{[a-z_]+}", UUID.randomUUID().toString());
    }

    static UiClient.Answer send(UiClient b, UiRoute r) {
        return r.method().equals("GET") ? b.get(path(r)) : b.htmxPost(path(r), Map.of());
    }

    @Test
    void everyRouteHasARoleAndUnsignedCallersGoToSignIn() {
        List<UiRoute> routes = server.server().dashboard().routes().routes();
        assertThat(routes).hasSizeGreaterThanOrEqualTo(20);
        UiClient anon = new UiClient(server.baseUrl());
        List<String> wrong = new ArrayList<>();
        for (UiRoute r : routes) {
            assertThat(r.role()).as(r.path()).isNotNull();
            var a = r.method().equals("GET") ? anon.get(path(r)) : anon.post(path(r), Map.of(),
                    Map.of("HX-Request", "true"));
            boolean toLogin = r.method().equals("GET") ? a.status() == 302
                    && a.header("Location").startsWith("/ui/login") : a.status() == 204
                    && a.header("HX-Redirect").startsWith("/ui/login");
            if (!toLogin) {
                wrong.add(r.method() + " " + r.path() + ": " + a.status());
            }
        }
        assertThat(wrong).as(String.join("\n", wrong)).isEmpty();
    }

    @Test
    void aRoleBelowTheRoutesIsRefusedAndChangesNothingAndOneAtItIsNot() {
        List<String> wrong = new ArrayList<>();
        for (UiRoute r : server.server().dashboard().routes().routes()) {
            for (var e : users.entrySet()) {
                Role role = Role.fromDb(e.getKey());
                Snapshot before = Snapshot.of(server.db());
                var a = send(e.getValue(), r);
                String where = e.getKey() + " " + r.method() + " " + r.path() + ": " + a.status();
                if (!role.atLeast(r.role())) {
                    if (a.status() != 403) {
                        wrong.add(where + " (expected 403)");
                    }
                    String diff = before.diff(Snapshot.of(server.db()));
                    if (!diff.isEmpty()) {
                        wrong.add(where + " changed " + diff);
                    }
                } else if (a.status() == 401 || a.status() == 403 || a.status() >= 500) {
                    wrong.add(where + " (expected to pass the role check)");
                }
            }
        }
        assertThat(wrong).as(String.join("\n", wrong)).isEmpty();
    }

    @Test
    void theAgentsTasksAndUsagePagesAreRoutesWithTheirRolesAndInTheMenu() {
        Map<String, Role> expected = new LinkedHashMap<>();
        expected.put("GET /ui/agents", Role.VIEWER);
        expected.put("GET /ui/agents/{id}", Role.VIEWER);
        expected.put("POST /ui/agents/{id}/schedules/pause", Role.OPERATOR);
        expected.put("POST /ui/agents/{id}/schedules/resume", Role.OPERATOR);
        expected.put("GET /ui/tasks", Role.VIEWER);
        expected.put("POST /ui/tasks/{id}/retry", Role.OPERATOR);
        expected.put("POST /ui/tasks/{id}/cancel", Role.OPERATOR);
        expected.put("GET /ui/usage", Role.VIEWER);
        Map<String, Role> actual = new LinkedHashMap<>();
        for (UiRoute r : server.server().dashboard().routes().routes()) {
            actual.put(r.method() + " " + r.path(), r.role());
        }
        assertThat(actual).containsAllEntriesOf(expected);
        // every role's menu has them (all three are viewer pages), as the other pages are
        for (var e : users.entrySet()) {
            String page = e.getValue().get("/ui/").body();
            for (String href : List.of("/ui/agents", "/ui/tasks", "/ui/usage")) {
                assertThat(page).as(e.getKey() + " menu").contains("<li><a href=\"" + href + "\"");
            }
        }
    }
}
