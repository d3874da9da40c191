package io.drover.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs this worker holds a lease on: from the claim until the outcome is acknowledged, the run
 * is released, or the server says it is no longer ours. The heartbeater extends exactly these.
 */
final class InFlight {

    private final ConcurrentHashMap<String, RunContext> runs = new ConcurrentHashMap<>();

    void add(RunContext ctx) {
        runs.put(ctx.runId(), ctx);
    }

    RunContext remove(String runId) {
        return runs.remove(runId);
    }

    List<String> ids() {
        return new ArrayList<>(runs.keySet());
    }

    List<RunContext> snapshot() {
        return new ArrayList<>(runs.values());
    }

    int size() {
        return runs.size();
    }
}
