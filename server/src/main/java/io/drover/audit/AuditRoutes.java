package io.drover.audit;

import static io.drover.http.Route.get;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** {@code /v1/audit-events}: the project's audit rows, a JSON-lines export, and chain verification. */
public final class AuditRoutes {
    private final AuditStore store;

    public AuditRoutes(AuditStore store) {
        this.store = store;
    }

    public List<Route> routes() {
        return List.of(
                get("/v1/audit-events", Role.ADMIN,
                        "List audit events, newest first (filters: action, actor_id, target_type, target_id, since, until)",
                        this::list),
                get("/v1/audit-events/verify", Role.ADMIN,
                        "Verify the project's audit hash chain against its signed head: {ok, rows_checked, first_bad_id, "
                                + "problem, first_seq, head_seq}", this::verify),
                get("/v1/audit-events/export", Role.ADMIN, "Export audit events as JSON lines, oldest first",
                        this::export));
    }

    private Reply list(Call c) {
        int limit = Page.limit(c.query("limit"));
        List<AuditEvent> rows = store.list(filter(c), decode(c.query("cursor")), limit);
        boolean more = rows.size() > limit;
        List<AuditEvent> page = more ? rows.subList(0, limit) : rows;
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        page.forEach(e -> arr.add(e.toJson()));
        out.put("next_cursor", more ? encode(page.get(page.size() - 1).seq()) : null);
        return Reply.ok(out);
    }

    private Reply verify(Call c) {
        AuditStore.Verification v = store.verify(c.projectId());
        ObjectNode out = Json.object();
        out.put("ok", v.ok());
        out.put("rows_checked", v.rowsChecked());
        out.put("first_bad_id", v.firstBadId() == null ? null : v.firstBadId().toString());
        out.put("problem", v.problem());
        out.put("first_seq", v.firstSeq());
        out.put("head_seq", v.headSeq());
        return Reply.ok(out);
    }

    private Reply export(Call c) {
        AuditStore.Filter filter = filter(c); // parameters are checked before the first byte is sent
        return Reply.stream(out -> store.export(filter, out), "application/x-ndjson");
    }

    private static AuditStore.Filter filter(Call c) {
        return new AuditStore.Filter(c.projectId(), param(c, "action"), param(c, "actor_id"),
                param(c, "target_type"), param(c, "target_id"), time(c, "since"), time(c, "until"));
    }

    private static String param(Call c, String name) {
        String v = c.query(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.length() > 200) {
            throw new ApiError(400, "invalid_parameter", name + " is too long", Map.of("parameter", name));
        }
        return v;
    }

    private static Instant time(Call c, String name) {
        String v = param(c, name);
        if (v == null) {
            return null;
        }
        Instant t = Input.parseTime(v);
        if (t == null) {
            throw new ApiError(400, "invalid_parameter", name + " must be an RFC 3339 time",
                    Map.of("parameter", name));
        }
        return Input.timeInRange(name, t);
    }

    static String encode(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("a" + seq).getBytes(StandardCharsets.US_ASCII));
    }

    static long decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            if (s.startsWith("a")) {
                return Long.parseLong(s.substring(1));
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw new ApiError(400, "invalid_cursor", "cursor is not one this server issued", Map.of("parameter", "cursor"));
    }
}
