package io.drover.runs;

import io.drover.errors.Conflict;
import java.util.Map;

/** The run changed while this request ran (409 {@code concurrent_change}); callers catch it by type. */
public final class ConcurrentChange extends Conflict {
    public ConcurrentChange() {
        super("concurrent_change", "the run changed while this request ran; try again", Map.of());
    }
}
