package io.drover.access;

import java.util.Locale;

/** Project roles, each allowed everything the ones before it are. */
public enum Role {
    VIEWER, OPERATOR, ADMIN, OWNER;

    public boolean atLeast(Role other) {
        return ordinal() >= other.ordinal();
    }

    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromDb(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
