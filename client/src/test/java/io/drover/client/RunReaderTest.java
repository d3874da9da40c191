package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written run reader gives exactly what Jackson's mapping gives, or gives up. */
class RunReaderTest {

    private final ObjectMapper mapper = DroverJson.newMapper();
    private final RunReader reader = new RunReader(mapper);

    /** As the server writes a claimed run (Run.writeJson), plus the odd cases. */
    private static final String SERVER_RUN = """
        {"id":"0190a1b2-0000-7000-8000-000000000001","job_id":"0190a1b2-0000-7000-8000-000000000002",
         "job_slug":"peers-noop","job_version":1,"queue":"peers","execution":"worker","status":"executing",
         "attempt":1,"max_attempts":3,"priority":0,"payload":{"t":1234567890123},"metadata":{},"result":null,
         "error":null,"idempotency_key":null,"concurrency_key":null,"worker_id":"peers-worker",
         "scheduled_at":"2026-11-22T06:50:11.123456Z","next_retry_at":null,
         "lease_expires_at":"2026-11-22T06:50:41.5Z","timeout_at":null,"expires_at":null,"replay_of":null,
         "schedule_id":null,"created_at":"2026-11-22T06:50:11Z","started_at":"2026-11-22T06:50:11.100Z",
         "finished_at":null,"workflow_run_id":null,"step_id":null}""";

    @ParameterizedTest
    @ValueSource(strings = {
        "[" + SERVER_RUN + "," + SERVER_RUN + "]",
        "[]",
        "[{}]",
        "[{\"id\":\"r\",\"status\":\"hibernating\",\"some_future_field\":[1,{\"a\":[]}],\"payload\":[1,2.5,\"x\"]}]",
        "[{\"id\":\"r\",\"job_version\":null,\"payload\":null,\"metadata\":{\"k\":{\"n\":[true,false,null]}},"
                + "\"result\":{\"big\":123456789012345678901234567890,\"f\":1.5e300}}]",
        "[{\"id\":\"r\",\"status\":null,\"error\":{\"type\":\"java.io.IOException\",\"message\":\"boom\","
                + "\"stacktrace\":\"at X\",\"extra\":1},\"result\":\"text\"}]",
        "[{\"id\":\"r\",\"created_at\":\"2025-01-02T04:04:05+01:00\",\"replay_of\":\"x\",\"workflow_run_id\":\"w\","
                + "\"step_id\":\"s\",\"idempotency_key\":\"k\",\"concurrency_key\":\"c\",\"payload\":\"\\u00e9\\ud83d\\ude00\"}]",
    })
    void readsWhatJacksonReads(String json) throws Exception {
        List<Run> expected = mapper.readValue(json, mapper.getTypeFactory().constructCollectionType(List.class, Run.class));
        try (JsonParser p = mapper.getFactory().createParser(json)) {
            p.nextToken();
            assertThat(reader.readList(p)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[{\"id\":1}]",
        "[{\"attempt\":\"1\"}]",
        "[{\"attempt\":1.0}]",
        "[{\"priority\":12345678901}]",
        "[{\"created_at\":\"2025-01-02 03:04:05Z\"}]",
        "[{\"created_at\":1735787045}]",
        "[1]",
        "{}",
    })
    void givesUpOnAnythingElse(String json) throws Exception {
        try (JsonParser p = mapper.getFactory().createParser(json)) {
            p.nextToken();
            assertThatThrownBy(() -> reader.readList(p)).isInstanceOf(RunReader.Unexpected.class);
        }
    }

    @org.junit.jupiter.api.Test
    void nullIsNull() throws Exception {
        try (JsonParser p = mapper.getFactory().createParser("null")) {
            p.nextToken();
            assertThat(reader.readList(p)).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[{\"run_id\":\"r1\",\"ok\":true,\"status\":\"completed\",\"error\":null},"
                + "{\"run_id\":\"r2\",\"ok\":false,\"status\":null,\"error\":{\"code\":\"not_held\",\"message\":\"m\",\"x\":[1]}},"
                + "{\"run_id\":\"r3\",\"ok\":true,\"status\":\"sleeping\",\"extra\":{\"a\":1}},{}]",
        "[]",
    })
    void readsOutcomeResultsAsJacksonDoes(String json) throws Exception {
        List<OutcomeResult> expected = mapper.readValue(json,
                mapper.getTypeFactory().constructCollectionType(List.class, OutcomeResult.class));
        try (JsonParser p = mapper.getFactory().createParser(json)) {
            p.nextToken();
            assertThat(reader.readOutcomeResults(p)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"[{\"ok\":\"true\"}]", "[{\"ok\":1}]", "[{\"error\":\"x\"}]", "[{\"run_id\":5}]"})
    void givesUpOnOtherOutcomeResults(String json) throws Exception {
        try (JsonParser p = mapper.getFactory().createParser(json)) {
            p.nextToken();
            assertThatThrownBy(() -> reader.readOutcomeResults(p)).isInstanceOf(RunReader.Unexpected.class);
        }
    }
}
