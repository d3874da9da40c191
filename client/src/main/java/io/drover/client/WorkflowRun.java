package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One run of a workflow, as {@code GET /v1/workflow-runs/{id}} answers it.
 *
 * @param id the workflow run id
 * @param workflowId the workflow's id
 * @param workflowSlug the workflow's slug
 * @param version the workflow version this run follows
 * @param status {@code pending}, {@code running}, {@code waiting}, {@code completed}, {@code failed} or {@code canceled}
 * @param input the input given at trigger time
 * @param output the output, once completed
 * @param steps the steps with their status, run ids, outputs and errors
 * @param createdAt when it was triggered
 * @param startedAt when its first step started
 * @param finishedAt when it ended
 */
public record WorkflowRun(String id, String workflowId, String workflowSlug, Integer version, String status,
                          JsonNode input, JsonNode output, JsonNode steps, Instant createdAt, Instant startedAt,
                          Instant finishedAt) {

    /** @return whether the workflow run is over: completed, failed or canceled */
    public boolean isFinished() {
        return "completed".equals(status) || "failed".equals(status) || "canceled".equals(status);
    }
}
