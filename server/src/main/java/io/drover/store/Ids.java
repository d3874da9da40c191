package io.drover.store;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * How rows are named in paths: a canonical 36-character UUID or a slug. Here, low in the layering,
 * so identity, jobs and workflows share it without depending on one another.
 */
public final class Ids {
    /** A slug: lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 100. */
    public static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9_-]{0,99}");

    private Ids() {}

    /** The UUID when {@code s} is one in its canonical 36-character form; {@code null} otherwise. */
    public static UUID uuid(String s) {
        if (s == null || s.length() != 36) {
            return null;
        }
        try {
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
