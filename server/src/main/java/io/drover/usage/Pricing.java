package io.drover.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Which price a usage record is computed with: the project's override in force (pricing_overrides,
 * by effective date), else the shipped, dated catalog ({@code pricing/catalog-2026-12.json}). A
 * model name matches exactly, or as a listed name followed by '-' (dated snapshots); the longest
 * listed name wins.
 */
public final class Pricing {
    static final String CATALOG = "/pricing/catalog-2026-12.json";
    static final Sql SQL = Sql.load("/sql/usage.sql");

    private final String catalogName;
    private final List<Price> catalog;
    private final ObjectNode catalogJson;

    public Pricing() {
        this(CATALOG);
    }

    Pricing(String resource) {
        try (InputStream in = Pricing.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("pricing catalog " + resource + " is missing");
            }
            catalogJson = (ObjectNode) Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        catalogName = "catalog:" + catalogJson.path("catalog").asText();
        List<Price> prices = new ArrayList<>();
        for (JsonNode e : catalogJson.path("entries")) {
            prices.add(new Price(e.get("provider").asText(), e.get("model").asText(),
                    e.get("input_microusd_per_mtok").asLong(), e.get("output_microusd_per_mtok").asLong(),
                    e.get("cached_input_microusd_per_mtok").asLong(), Instant.parse(e.get("effective_from").asText()),
                    catalogName));
        }
        catalog = List.copyOf(prices);
    }

    /** The shipped catalog as a document (GET /v1/pricing shows it). */
    public ObjectNode catalogJson() {
        return catalogJson.deepCopy();
    }

    /** The price for a record made at {@code at} (null: the database's clock), if any. */
    public Optional<Price> find(Connection c, UUID projectId, String provider, String model, Timestamp at)
            throws SQLException {
        try (Query q = SQL.prepare(c, "price_override")) {
            q.set("project_id", projectId).set("provider", provider).set("model", model).set("now", at);
            try (ResultSet rs = q.query()) {
                if (rs.next()) {
                    return Optional.of(new Price(provider, rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                            rs.getTimestamp(5).toInstant(), "project"));
                }
            }
        }
        return fromCatalog(provider, model, at == null ? Instant.now() : at.toInstant());
    }

    Optional<Price> fromCatalog(String provider, String model, Instant at) {
        return catalog.stream()
                .filter(p -> p.provider().equals(provider) && !p.effectiveFrom().isAfter(at)
                        && (p.model().equals(model) || model.startsWith(p.model() + "-")))
                .max(Comparator.<Price>comparingInt(p -> p.model().length()).thenComparing(Price::effectiveFrom));
    }

    /** A project's own prices, by provider, model and effective date. */
    public List<ObjectNode> overrides(io.drover.store.Db db, UUID projectId) {
        return db.read(c -> {
            List<ObjectNode> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_overrides")) {
                q.set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Json.object().put("provider", rs.getString(1)).put("model", rs.getString(2))
                                .put("input_microusd_per_mtok", rs.getLong(3)).put("output_microusd_per_mtok", rs.getLong(4))
                                .put("cached_input_microusd_per_mtok", rs.getLong(5))
                                .put("effective_from", rs.getTimestamp(6).toInstant().toString()));
                    }
                }
            }
            return out;
        });
    }

    /** Adds or replaces a project's prices (one row per provider, model and effective date). */
    public void put(io.drover.store.Db db, UUID projectId, List<Price> entries, Timestamp now) {
        db.tx(c -> {
            for (Price p : entries) {
                try (Query q = SQL.prepare(c, "put_override")) {
                    q.set("project_id", projectId).set("provider", p.provider()).set("model", p.model())
                            .set("effective_from", Timestamp.from(p.effectiveFrom())).set("input_price", p.inputPerMtok())
                            .set("output_price", p.outputPerMtok()).set("cached_price", p.cachedInputPerMtok())
                            .set("now", now).update();
                }
            }
            return null;
        });
    }
}
