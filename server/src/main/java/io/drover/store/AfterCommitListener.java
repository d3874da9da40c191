package io.drover.store;

/**
 * Hears what each transaction changed, once, after it committed (never after a rollback), on the
 * committing thread. Registered on {@link Db} at wiring time ({@code DroverServer}). A listener
 * that throws is logged; the request whose transaction committed does not fail.
 */
@FunctionalInterface
public interface AfterCommitListener {
    void onCommit(TxEffects effects);
}
