package io.drover.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.agents.Agent;
import io.drover.agents.AgentRoutes;
import io.drover.agents.AgentStore;
import io.drover.agents.Command;
import io.drover.agents.Commands;
import io.drover.agents.Task;
import io.drover.agents.TaskStore;
import io.drover.errors.Invalid;
import io.drover.http.Json;
import io.drover.http.Page;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Agents beside other engines: the fleet (live on {@code agent.*} events), an agent's observed
 * schedules (pause and resume for operators) and newest tasks, and the tasks of other engines with
 * filters and keyset pages, retry and cancel for operators. Reads are the API's
 * ({@link AgentStore}, {@link TaskStore}); actions make the same commands as {@code /v1} does
 * ({@link Commands}), which the agent picks up at its next poll.
 */
public final class AgentPages {
    /** Tasks shown on an agent's page (the tasks list has the rest). */
    static final int AGENT_TASKS = 20;
    private final AgentStore agents;
    private final TaskStore tasks;
    private final Commands commands;

    public AgentPages(AgentStore agents, TaskStore tasks, Commands commands) {
        this.agents = agents;
        this.tasks = tasks;
        this.commands = commands;
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/agents", "Agents", c -> View.page("agents.jte", fleet(c))),
                UiRoute.get("/ui/agents/{id}", Role.VIEWER, c -> View.page("agent.jte", agent(c))),
                UiRoute.post("/ui/agents/{id}/schedules/pause", Role.OPERATOR, c -> schedule(c, "pause_schedule")),
                UiRoute.post("/ui/agents/{id}/schedules/resume", Role.OPERATOR, c -> schedule(c, "resume_schedule")),
                UiRoute.page("/ui/tasks", "Tasks", c -> View.page("tasks.jte", taskList(c))),
                UiRoute.post("/ui/tasks/{id}/retry", Role.OPERATOR, c -> task(c, "retry")),
                UiRoute.post("/ui/tasks/{id}/cancel", Role.OPERATOR, c -> task(c, "cancel")));
    }

    // --- the fleet ---

    public record Fleet(String state, List<Agent> agents, String nextCursor, boolean firstPage, List<String> states)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Agents";
        }

        public String selfUrl() {
            return "/ui/agents" + (state == null ? "" : "?state=" + Fmt.q(state));
        }

        public String nextUrl() {
            return "/ui/agents?" + (state == null ? "" : "state=" + Fmt.q(state) + "&") + "cursor=" + nextCursor;
        }
    }

    Fleet fleet(UiCall c) {
        String state = c.query("state");
        if (state != null && !AgentRoutes.STATES.contains(state)) {
            throw new Invalid("state", "must be one of " + new java.util.TreeSet<>(AgentRoutes.STATES) + ", got '"
                    + cut(state) + "'");
        }
        boolean first = c.query("cursor") == null;
        if (first) {
            c.live("/v1/stream?types=agent.*");
        }
        Page<Agent> page = Page.of(agents.list(c.projectId(), state, Page.decode(c.query("cursor")), RunPages.PAGE),
                RunPages.PAGE, Agent::id);
        return new Fleet(state, page.data(), page.nextCursor(), first,
                List.of("online", "degraded", "offline", "unknown"));
    }

    // --- one agent ---

    /** An observed schedule as its agent last reported it. */
    public record Schedule(String name, String scheduler, String task, String type, String expression,
            boolean enabled, String nextRunAt, String lastRunAt) {
        static Schedule of(ObjectNode n) {
            return new Schedule(Fmt.text(n, "name"), Fmt.text(n, "scheduler"), Fmt.text(n, "task"),
                    Fmt.text(n, "type"), Fmt.text(n, "expression"), n.path("enabled").asBoolean(),
                    time(n, "next_run_at"), time(n, "last_run_at"));
        }

        private static String time(ObjectNode n, String field) {
            String v = Fmt.text(n, field);
            return v.isEmpty() ? "" : Fmt.time(java.time.Instant.parse(v));
        }
    }

    public record AgentDetail(Agent agent, List<Schedule> schedules, List<TaskRow> tasks, boolean moreTasks,
            boolean canCommand) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Agent " + agent.name();
        }
    }

    AgentDetail agent(UiCall c) {
        Agent a = agents.get(c.projectId(), c.pathUuid("id", "agent"));
        List<Schedule> schedules = tasks.schedules(c.projectId(), a.id()).stream().map(Schedule::of).toList();
        List<Task> recent = tasks.list(c.projectId(), new TaskStore.Filter(null, null, a.id(), null), null,
                AGENT_TASKS);
        boolean operator = c.can(Role.OPERATOR);
        List<TaskRow> rows = new ArrayList<>();
        for (Task t : recent.subList(0, Math.min(AGENT_TASKS, recent.size()))) {
            rows.add(TaskRow.of(t, a.name(), operator));
        }
        return new AgentDetail(a, schedules, rows, recent.size() > AGENT_TASKS, operator);
    }

    /** The command the page's button made, shown where the button's answer goes. */
    public record Sent(Command command, String what) {}

    private View schedule(UiCall c, String type) {
        UUID id = c.pathUuid("id", "agent");
        String name = c.requiredForm("schedule");
        Command made = commands.forSchedule(c.projectId(), id, name, type);
        return View.fragment("command_sent.jte", new Sent(made, (type.equals("pause_schedule") ? "pause" : "resume")
                + " schedule '" + name + "'"));
    }

    // --- tasks of other engines ---

    /** The filters as given (for the form and the links). */
    public record TaskFilters(String engine, String state, String agent) {
        public String query() {
            StringBuilder sb = new StringBuilder();
            add(sb, "engine", engine);
            add(sb, "state", state);
            add(sb, "agent", agent);
            return sb.toString();
        }

        private static void add(StringBuilder sb, String name, String value) {
            if (value != null) {
                sb.append(sb.isEmpty() ? "" : "&").append(name).append('=').append(Fmt.q(value));
            }
        }
    }

    /**
     * A task as a row: its agent's name and its error split for display. Viewers see the error's type
     * and message (redacted by the project's patterns when stored) but not its traceback.
     */
    public record TaskRow(Task task, String agentName, String errorType, String errorMessage, String traceback,
            boolean canRetry, boolean canCancel) {
        static TaskRow of(Task t, String agentName, boolean operator) {
            String type = null;
            String message = null;
            String traceback = null;
            if (t.error() != null) {
                JsonNode e = Json.read(t.error());
                if (e != null && e.isObject()) {
                    type = blank(Fmt.text(e, "type"));
                    message = blank(Fmt.text(e, "message"));
                    traceback = operator ? blank(Fmt.text(e, "traceback")) : null;
                } else if (e != null && !e.isNull()) {
                    message = e.isTextual() ? e.textValue() : e.toString();
                }
            }
            return new TaskRow(t, agentName, type, message, traceback,
                    operator && Commands.RETRYABLE.contains(t.state()),
                    operator && Commands.CANCELLABLE.contains(t.state()));
        }

        private static String blank(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }

    public record TaskList(TaskFilters filters, List<TaskRow> rows, String nextCursor, String problem,
            List<String> states) implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Tasks";
        }

        public String selfUrl() {
            String q = filters.query();
            return "/ui/tasks" + (q.isEmpty() ? "" : "?" + q);
        }

        public String nextUrl() {
            String q = filters.query();
            return "/ui/tasks?" + (q.isEmpty() ? "" : q + "&") + "cursor=" + nextCursor;
        }
    }

    TaskList taskList(UiCall c) {
        TaskFilters f = new TaskFilters(text(c, "engine"), c.query("state"), text(c, "agent"));
        List<String> states = AgentRoutes.TASK_STATES.stream().sorted().toList();
        if (f.state() != null && !AgentRoutes.TASK_STATES.contains(f.state())) {
            throw new Invalid("state", "must be one of " + states + ", got '" + cut(f.state()) + "'");
        }
        UUID agentId = null;
        if (f.agent() != null) {
            Agent a = agents.find(c.projectId(), f.agent());
            if (a == null) {
                return new TaskList(f, List.of(), null, "No agent named '" + f.agent() + "'.", states);
            }
            agentId = a.id();
        }
        List<Task> rows = tasks.list(c.projectId(), new TaskStore.Filter(f.engine(), f.state(), agentId, null),
                Page.decode(c.query("cursor")), RunPages.PAGE);
        Page<Task> page = Page.of(rows, RunPages.PAGE, Task::id);
        boolean operator = c.can(Role.OPERATOR);
        Map<UUID, String> names = new HashMap<>();
        List<TaskRow> out = new ArrayList<>();
        for (Task t : page.data()) {
            String name = names.computeIfAbsent(t.agentId(), id -> {
                Agent a = agents.find(c.projectId(), id.toString());
                return a == null ? null : a.name();
            });
            out.add(TaskRow.of(t, name, operator));
        }
        return new TaskList(f, out, page.nextCursor(), null, states);
    }

    private View task(UiCall c, String type) {
        UUID id = c.pathUuid("id", "task");
        Command made = commands.forTask(c.projectId(), id, type);
        return View.fragment("command_sent.jte", new Sent(made, type + " task " + Fmt.shortId(id)));
    }

    private static String text(UiCall c, String name) {
        String v = c.query(name);
        if (v != null && (v.length() > 255 || v.indexOf('\0') >= 0)) {
            throw new Invalid(name, "must be at most 255 characters, without NUL");
        }
        return v;
    }

    private static String cut(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
