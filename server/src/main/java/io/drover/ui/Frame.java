package io.drover.ui;

import java.util.List;

/**
 * What every page's frame shows: the title, the menu with the current entry, who is signed in
 * with which role (buttons are drawn only for roles that may use them), the session's CSRF token
 * (sent by htmx as X-CSRF-Token on every write) and the live stream the page listens to.
 */
public record Frame(String title, String current, String who, String role, String project, String csrf,
        List<NavItem> nav, String live) {
    public record NavItem(String label, String href) {}

    public boolean operator() {
        return role != null && !role.equals("viewer");
    }

    public boolean admin() {
        return "admin".equals(role) || "owner".equals(role);
    }

    /** The htmx request headers attribute: the CSRF token for writes. */
    public String hxHeaders() {
        return csrf == null ? "{}" : "{\"X-CSRF-Token\": \"" + csrf + "\"}";
    }

    /** A frame for pages seen signed out (sign-in, first-owner setup, errors). */
    public static Frame signedOut(String title) {
        return new Frame(title, null, null, null, null, null, List.of(), null);
    }
}
