package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code drover apply -f} would do and {@code drover diff -f} shows: every job and workflow of
 * the files compared with the server, the references of the workflows checked as the server will
 * check them when they are written (a job step's job and a compensation's job must exist, a
 * sub-workflow too, on the server or in the files), and, with {@code --prune}, what earlier applies
 * created (tag {@value JobDiff#MARK}) that the files no longer name.
 */
final class ApplyPlan {
    final List<JobDiff> jobs = new ArrayList<>();
    final List<WorkflowDiff> workflows = new ArrayList<>();
    final List<String> pruneJobs = new ArrayList<>();
    final List<String> pruneWorkflows = new ArrayList<>();

    static ApplyPlan of(DroverClient client, List<DefinitionFiles.Definition> definitions, boolean prune) {
        ApplyPlan plan = new ApplyPlan();
        for (DefinitionFiles.Definition d : definitions) {
            if (d.kind().equals(DefinitionFiles.JOB)) {
                plan.jobs.add(JobDiff.of(client, d.body()));
            }
        }
        for (DefinitionFiles.Definition d : definitions) {
            if (d.kind().equals(DefinitionFiles.WORKFLOW)) {
                plan.workflows.add(WorkflowDiff.of(client, d.body()));
            }
        }
        plan.checkReferences(client);
        if (prune) {
            plan.findPrunable(client);
        }
        plan.orderWorkflows();
        return plan;
    }

    /** Every problem at once, as a usage error: nothing is written when one reference is unknown. */
    private void checkReferences(DroverClient client) {
        Set<String> fileJobs = new HashSet<>();
        jobs.forEach(j -> fileJobs.add(j.slug));
        Set<String> fileWorkflows = new HashSet<>();
        workflows.forEach(w -> fileWorkflows.add(w.slug));
        Map<String, Boolean> known = new java.util.HashMap<>();
        List<String> problems = new ArrayList<>();
        for (WorkflowDiff w : workflows) {
            for (JsonNode step : w.wanted.path("steps")) {
                String id = step.path("id").asText();
                Set<String> names = new LinkedHashSet<>();
                if (step.hasNonNull("job")) {
                    names.add(step.get("job").asText());
                }
                if (step.path("compensate").hasNonNull("job")) {
                    names.add(step.path("compensate").get("job").asText());
                }
                for (String job : names) {
                    if (!fileJobs.contains(job) && !known.computeIfAbsent("job " + job,
                            k -> exists(client, "/v1/jobs/" + JsonArgs.segment(job)))) {
                        problems.add("workflow " + w.slug + ": step '" + id + "' refers to unknown job '" + job + "'");
                    }
                }
                if (step.hasNonNull("workflow")) {
                    String sub = step.get("workflow").asText();
                    if (!sub.equals(w.slug) && !fileWorkflows.contains(sub) && !known.computeIfAbsent("workflow " + sub,
                            k -> exists(client, "/v1/workflows/" + JsonArgs.segment(sub)))) {
                        problems.add("workflow " + w.slug + ": step '" + id + "' refers to unknown workflow '" + sub + "'");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new UsageError("the files refer to what neither the server nor the files define:\n  "
                    + String.join("\n  ", problems) + "\nNothing was changed.");
        }
    }

    private static boolean exists(DroverClient client, String path) {
        try {
            client.send("GET", path, null);
            return true;
        } catch (DroverApiException e) {
            if (e.httpStatus() == 404) {
                return false;
            }
            throw e;
        }
    }

    private void findPrunable(DroverClient client) {
        Set<String> named = new HashSet<>();
        jobs.forEach(j -> named.add("job " + j.slug));
        workflows.forEach(w -> named.add("workflow " + w.slug));
        Output silent = new Output(new java.io.PrintWriter(java.io.Writer.nullWriter()),
                new java.io.PrintWriter(java.io.Writer.nullWriter()), client.mapper(), true);
        for (JsonNode job : ListOptions.everything().fetch(client, "/v1/jobs", Map.of(), silent).path("data")) {
            String slug = job.path("slug").asText();
            if (JobDiff.marked(job) && !named.contains("job " + slug)) {
                pruneJobs.add(slug);
            }
        }
        for (JsonNode wf : ListOptions.everything().fetch(client, "/v1/workflows", Map.of(), silent).path("data")) {
            String slug = wf.path("slug").asText();
            if (JobDiff.marked(wf) && !named.contains("workflow " + slug)) {
                pruneWorkflows.add(slug);
            }
        }
    }

    /** Sub-workflows the files define go first, so that each workflow's references exist when it is written. */
    private void orderWorkflows() {
        List<WorkflowDiff> ordered = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        Set<String> inFiles = new HashSet<>();
        workflows.forEach(w -> inFiles.add(w.slug));
        List<WorkflowDiff> left = new ArrayList<>(workflows);
        while (!left.isEmpty()) {
            boolean progress = false;
            for (var it = left.iterator(); it.hasNext(); ) {
                WorkflowDiff w = it.next();
                boolean ready = true;
                for (JsonNode step : w.wanted.path("steps")) {
                    String sub = step.path("workflow").asText(null);
                    if (sub != null && !sub.equals(w.slug) && inFiles.contains(sub) && !placed.contains(sub)) {
                        ready = false;
                    }
                }
                if (ready) {
                    ordered.add(w);
                    placed.add(w.slug);
                    it.remove();
                    progress = true;
                }
            }
            if (!progress) { // workflows that call each other: keep the file order, the server decides
                ordered.addAll(left);
                break;
            }
        }
        workflows.clear();
        workflows.addAll(ordered);
    }

    boolean changed() {
        return jobs.stream().anyMatch(JobDiff::changed) || workflows.stream().anyMatch(WorkflowDiff::changed)
                || !pruneJobs.isEmpty() || !pruneWorkflows.isEmpty();
    }

    List<String> describe() {
        List<String> lines = new ArrayList<>();
        jobs.forEach(j -> lines.addAll(j.describe()));
        workflows.forEach(w -> lines.addAll(w.describe()));
        pruneWorkflows.forEach(s -> lines.add("- workflow " + s + " (applied earlier, no longer in the files)"));
        pruneJobs.forEach(s -> lines.add("- job " + s + " (applied earlier, no longer in the files)"));
        return lines;
    }

    /** Jobs first (workflows refer to them), then workflows; pruned workflows before pruned jobs. */
    void apply(DroverClient client, Output out) {
        for (JobDiff j : jobs) {
            if (!j.changed()) {
                out.line("= job " + j.slug + " unchanged (version " + j.current.path("version").asInt() + ")");
                continue;
            }
            JsonNode saved = j.isNew() ? client.send("POST", "/v1/jobs", j.wanted)
                    : client.send("PATCH", "/v1/jobs/" + JsonArgs.segment(j.slug), j.wanted);
            out.line((j.isNew() ? "+ created" : "~ updated") + " job " + j.slug + " version "
                    + saved.path("version").asInt());
        }
        for (WorkflowDiff d : workflows) {
            if (!d.changed()) {
                out.line("= workflow " + d.slug + " unchanged (version " + d.current.get("version").asInt() + ")");
                continue;
            }
            JsonNode saved = d.isNew() ? client.send("POST", "/v1/workflows", d.body())
                    : client.send("PATCH", "/v1/workflows/" + JsonArgs.segment(d.slug), d.body());
            out.line((d.isNew() ? "+ created" : "~ updated") + " workflow " + d.slug + " version "
                    + saved.get("version").asInt());
        }
        for (String slug : pruneWorkflows) {
            client.send("DELETE", "/v1/workflows/" + JsonArgs.segment(slug), null);
            out.line("- deleted workflow " + slug);
        }
        for (String slug : pruneJobs) {
            client.send("DELETE", "/v1/jobs/" + JsonArgs.segment(slug), null);
            out.line("- deleted job " + slug);
        }
    }
}
