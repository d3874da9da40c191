package io.drover.client;

/**
 * The server's answer to a usage record.
 *
 * @param id the record's id
 * @param costMicrousd what this record cost, in micro-USD (0 for a model without a price)
 * @param runCostMicrousd the run's total so far
 * @param runCanceled whether the record put the run over its per-run budget, which canceled it
 */
public record UsageRecorded(String id, long costMicrousd, long runCostMicrousd, boolean runCanceled) {}
