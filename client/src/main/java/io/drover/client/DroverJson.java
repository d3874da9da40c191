package io.drover.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;

/**
 * Builds the Jackson {@link ObjectMapper} that speaks Drover's JSON: snake_case field names,
 * RFC 3339 timestamps as {@link java.time.Instant}, unknown fields ignored so that newer servers
 * can add fields, and null fields left out of request bodies.
 */
public final class DroverJson {

    private DroverJson() {
    }

    /**
     * Returns a new mapper configured for the Drover API; callers may keep and share it.
     *
     * @return a mapper configured for the Drover API
     */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                // Registered after JavaTimeModule, so it takes precedence for Instant.
                .addModule(new SimpleModule("drover-rfc3339").addDeserializer(Instant.class, new Rfc3339.Deserializer()))
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
    }
}
