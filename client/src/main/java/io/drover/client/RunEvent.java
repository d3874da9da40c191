package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One recorded state change of a run, such as {@code attempt_failed} from executing to delayed.
 *
 * @param id the event id
 * @param runId the run the event belongs to
 * @param type what happened, such as {@code claimed}, {@code attempt_failed} or {@code completed}
 * @param fromStatus the state before the change, or null for the first event
 * @param toStatus the state after the change
 * @param attempt the attempt number at the time of the event
 * @param message a human-readable note, possibly null
 * @param data extra structured data, such as the error of a failed attempt
 * @param createdAt when the change happened
 */
public record RunEvent(String id, String runId, String type, RunStatus fromStatus, RunStatus toStatus,
                       int attempt, String message, JsonNode data, Instant createdAt) {
}
