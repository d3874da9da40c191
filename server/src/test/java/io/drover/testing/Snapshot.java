package io.drover.testing;

import io.drover.store.Db;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stored state of the tables a request can change, as row count and an md5 over every row in
 * a fixed order per table. Two equal snapshots mean no row was added, removed or modified, which
 * is stronger than comparing counts (a rejected PATCH that bumped a version in place would show).
 */
public record Snapshot(Map<String, String> tables) {
    private static final Map<String, String> ORDER = orderBy();

    private static Map<String, String> orderBy() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jobs", "id");
        m.put("job_versions", "job_id, version");
        m.put("runs", "id");
        m.put("run_events", "seq");
        m.put("schedules", "id");
        m.put("schedule_ticks", "schedule_id, fire_at");
        m.put("projects", "id");
        m.put("users", "id");
        m.put("memberships", "project_id, user_id");
        m.put("invitations", "id");
        m.put("password_resets", "id");
        m.put("mail_outbox", "id");
        m.put("secrets", "id");
        m.put("audit_log", "seq");
        m.put("audit_heads", "project_id");
        // api_keys without last_used_at, which every accepted request may touch
        m.put("(SELECT id, project_id, name, prefix, key_hash, role, expires_at, revoked_at, rotated_to, read_secrets "
                + "FROM api_keys)", "id");
        m.put("workflows", "id");
        m.put("workflow_versions", "workflow_id, version");
        m.put("workflow_runs", "id");
        m.put("workflow_step_runs", "workflow_run_id, step_id");
        m.put("workflow_step_decisions", "seq");
        m.put("approvals", "id");
        m.put("event_triggers", "id");
        m.put("events", "project_id, event_key");
        return m;
    }

    public static Snapshot of(Db db) {
        return db.read(c -> {
            Map<String, String> out = new LinkedHashMap<>();
            for (var e : ORDER.entrySet()) {
                String sql = "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY " + e.getValue()
                        + ")), '-') FROM " + e.getKey() + " t";
                try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.put(e.getKey(), rs.getLong(1) + " rows, md5 " + rs.getString(2));
                }
            }
            return new Snapshot(out);
        });
    }

    /** The tables whose content differs from {@code other}, with both states; empty when equal. */
    public String diff(Snapshot other) {
        StringBuilder sb = new StringBuilder();
        for (var e : tables.entrySet()) {
            String theirs = other.tables.get(e.getKey());
            if (!e.getValue().equals(theirs)) {
                sb.append(e.getKey()).append(": ").append(e.getValue()).append(" -> ").append(theirs).append("; ");
            }
        }
        return sb.toString();
    }
}
