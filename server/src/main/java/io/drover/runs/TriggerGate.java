package io.drover.runs;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * Asked in every trigger's transaction before its runs are made (budgets implement it): null lets
 * the runs start as asked; an instant holds them ({@code delayed}) until then; a domain exception
 * refuses the trigger. {@code direct} is false for schedule ticks and workflow steps, which are held
 * rather than refused: nobody is there to read a refusal.
 */
@FunctionalInterface
public interface TriggerGate {
    TriggerGate NONE = (c, projectId, direct) -> null;

    Instant holdUntil(Connection c, UUID projectId, boolean direct) throws SQLException;
}
