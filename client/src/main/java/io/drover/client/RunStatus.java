package io.drover.client;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The states of a run, as the server names them in lowercase. A state this SDK does not know yet
 * reads as {@link #UNKNOWN} rather than failing.
 */
public enum RunStatus {
    DELAYED, QUEUED, DEQUEUED, EXECUTING, WAITING, PAUSED,
    COMPLETED, FAILED, TIMED_OUT, CRASHED, SYSTEM_FAILED, CANCELED, EXPIRED,
    DEAD_LETTER,
    @JsonEnumDefaultValue UNKNOWN;

    /** @return the name used on the wire, such as {@code dead_letter} */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Tells whether a run in this state is over for good. {@link #DEAD_LETTER} is not terminal,
     * because a replay can put the run back in the queue.
     *
     * @return true for completed, failed, timed_out, crashed, system_failed, canceled and expired
     */
    public boolean isTerminal() {
        return switch (this) {
            case COMPLETED, FAILED, TIMED_OUT, CRASHED, SYSTEM_FAILED, CANCELED, EXPIRED -> true;
            default -> false;
        };
    }
}
