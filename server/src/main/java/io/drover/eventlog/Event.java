package io.drover.eventlog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/**
 * One event of the event log (API.md, "Events"): what the live stream, webhooks and log drains send.
 * {@code id} is the opaque cursor: within a project, events are delivered in increasing id order
 * and resuming after an id misses none and repeats none. {@code type} is dotted
 * ({@code run.completed}, {@code workflow_run.failed}, {@code webhook.dead}). {@code runId} is the
 * run the event belongs to, or null (webhook deliveries keep the events of one run in order).
 */
public record Event(String id, String type, Instant occurredAt, UUID projectId, UUID runId, ObjectNode data) {

    /** Whether {@code type} matches one of the filters: an exact type or a prefix ending in {@code .*}. */
    public static boolean matches(String type, java.util.Collection<String> filters) {
        if (filters == null || filters.isEmpty()) {
            return true;
        }
        for (String f : filters) {
            if (f.equals("*") || f.equals(type)
                    || (f.endsWith(".*") && type.startsWith(f.substring(0, f.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}
