package io.drover.agents;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.audit.AuditLog;
import io.drover.crypto.Keys;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.identity.Tokens;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The registry of agents: created by admins with a token that is shown once and stored only as
 * HMAC-SHA256 under a key derived from the master key ({@link Tokens}, purpose "agent"). A token
 * is found by its hash through a unique index and confirmed in constant time; there is no cache,
 * so a rotation or a deletion stops the old token on every node at its commit. Every change is
 * audited, without the token.
 */
public final class AgentStore {
    static final Sql SQL = Sql.load("/sql/agents.sql", Map.of("AGENT_COLUMNS", Agent.COLUMNS,
            "TASK_COLUMNS", Task.COLUMNS, "COMMAND_COLUMNS", Command.COLUMNS));
    /** Agent tokens start with this, so that a leaked one is recognisable (and never mistaken for an API key). */
    public static final String TOKEN_PREFIX = "dra_";

    private final Db db;
    private final Tokens tokens;
    private final AuditLog audit;
    private final InstantSource clock;

    public AgentStore(Db db, Keys keys, AuditLog audit, InstantSource clock) {
        this.db = db;
        this.tokens = new Tokens(keys, "agent", TOKEN_PREFIX);
        this.audit = audit;
        this.clock = clock;
    }

    /** The statements, for the retention targets. */
    public static Sql sql() {
        return SQL;
    }

    /** A new agent with its token, the only time the token is shown. */
    public record Created(Agent agent, String token) {}

    /** Who an agent request comes from: the agent and its project. */
    public record Caller(UUID agentId, UUID projectId) {}

    public Created create(UUID projectId, String name, JsonNode labels) {
        UUID id = UuidV7.next();
        String token = tokens.generate();
        Agent agent = db.tx(c -> {
            Agent made;
            try (Query q = SQL.prepare(c, "insert_agent")) {
                q.set("id", id).set("project_id", projectId).set("name", name).set("labels", Json.write(labels))
                        .set("token_hash", tokens.hash(token)).set("token_prefix", token.substring(0, 8))
                        .set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new Conflict("name_taken", "an agent named '" + name + "' exists in this project",
                                Map.of("field", "name"));
                    }
                    made = Agent.map(rs);
                }
            }
            audit.append(c, projectId, "agent.create", "agent", id, Json.object().put("name", name)
                    .set("labels", labels));
            return made;
        });
        return new Created(agent, token);
    }

    /** A page of the project's agents, newest first ({@code limit + 1} rows: the last says more exist). */
    public List<Agent> list(UUID projectId, String state, UUID cursor, int limit) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_agents")) {
                q.set("project_id", projectId).set("state", state).set("cursor", cursor).set("limit", limit + 1);
                List<Agent> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Agent.map(rs));
                    }
                }
                return out;
            }
        });
    }

    public Agent get(UUID projectId, UUID id) {
        return db.read(c -> get(c, projectId, id));
    }

    static Agent get(Connection c, UUID projectId, UUID id) throws SQLException {
        try (Query q = SQL.prepare(c, "get_agent")) {
            q.set("project_id", projectId).set("id", id);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("agent", id.toString());
                }
                return Agent.map(rs);
            }
        }
    }

    /** An agent by id or by name, or null. */
    public Agent find(UUID projectId, String idOrName) {
        return db.read(c -> {
            UUID id = io.drover.store.Ids.uuid(idOrName);
            try (Query q = SQL.prepare(c, id != null ? "get_agent" : "get_agent_by_name")) {
                q.set("project_id", projectId);
                if (id != null) {
                    q.set("id", id);
                } else {
                    q.set("name", idOrName);
                }
                try (ResultSet rs = q.query()) {
                    return rs.next() ? Agent.map(rs) : null;
                }
            }
        });
    }

    /** Deletes the agent: its token stops at once; its schedules and commands go, its tasks stay. */
    public void delete(UUID projectId, UUID id) {
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "delete_agent")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("agent", id.toString());
                    }
                    audit.append(c, projectId, "agent.delete", "agent", id,
                            Json.object().put("name", rs.getString(2)));
                }
            }
            return null;
        });
    }

    /** A new token (shown once); the old one stops at this commit. */
    public Created rotate(UUID projectId, UUID id) {
        String token = tokens.generate();
        Agent agent = db.tx(c -> {
            Agent after;
            try (Query q = SQL.prepare(c, "rotate_token")) {
                q.set("project_id", projectId).set("id", id).set("token_hash", tokens.hash(token))
                        .set("token_prefix", token.substring(0, 8));
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("agent", id.toString());
                    }
                    after = Agent.map(rs);
                }
            }
            audit.append(c, projectId, "agent.rotate_token", "agent", id, Json.object().put("name", after.name()));
            return after;
        });
        return new Created(agent, token);
    }

    /** The agent behind a bearer token, or empty for an unknown (rotated, deleted) one. */
    public Optional<Caller> authenticate(String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 200) {
            return Optional.empty();
        }
        byte[] hash = tokens.hash(token);
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "agent_by_token")) {
                q.set("token_hash", hash);
                try (ResultSet rs = q.query()) {
                    if (!rs.next() || !Keys.constantTimeEquals(rs.getBytes(3), hash)) {
                        return Optional.empty();
                    }
                    return Optional.of(new Caller(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)));
                }
            }
        });
    }
}
