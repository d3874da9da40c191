package io.drover.secrets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Principal;
import io.drover.jobs.JobSpec;
import io.drover.jobs.JobStore;
import io.drover.runs.Run;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Claimed runs as the worker receives them: a job that names secrets ({@code "secrets": ["NAME"]})
 * gets their values under {@code secrets} in each run, but only for an API key created with
 * {@code read_secrets: true}. Every other caller gets the run without them.
 */
public final class ClaimSecrets {
    private final SecretStore store;
    private final JobStore jobs;

    public ClaimSecrets(SecretStore store, JobStore jobs) {
        this.store = store;
        this.jobs = jobs;
    }

    /** Whether {@link #render} would add secrets to any of these runs (if not, they go out as they are). */
    public boolean adds(Principal caller, List<Run> runs) {
        if (caller == null || !caller.readSecrets()) {
            return false;
        }
        for (Run run : runs) {
            if (!jobs.spec(run.jobId(), run.jobVersion()).secrets().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    public List<ObjectNode> render(Principal caller, List<Run> runs) {
        Map<String, Map<String, String>> opened = new HashMap<>();
        return runs.stream().map(run -> {
            ObjectNode json = run.toJson();
            if (caller == null || !caller.readSecrets()) {
                return json;
            }
            JobSpec spec = jobs.spec(run.jobId(), run.jobVersion());
            if (spec.secrets().isEmpty()) {
                return json;
            }
            Map<String, String> values = opened.computeIfAbsent(run.projectId() + "/" + spec.secretsEnvironment(),
                    k -> store.open(run.projectId(), spec.secretsEnvironment()));
            ObjectNode out = json.putObject("secrets");
            for (String name : spec.secrets()) {
                if (values.containsKey(name)) {
                    out.put(name, values.get(name));
                }
            }
            return json;
        }).toList();
    }
}
