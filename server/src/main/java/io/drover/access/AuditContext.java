package io.drover.access;

/**
 * The actor of the request being handled on this thread. The HTTP layer sets it around each
 * handler (one virtual thread per request), so stores deep below can write audit rows in their own
 * transaction without every signature carrying the caller.
 */
public final class AuditContext {
    private static final ThreadLocal<Actor> CURRENT = new ThreadLocal<>();

    private AuditContext() {}

    public static Actor current() {
        Actor a = CURRENT.get();
        return a == null ? Actor.SYSTEM : a;
    }

    public static void set(Actor actor) {
        CURRENT.set(actor);
    }

    public static void clear() {
        CURRENT.remove();
    }
}
