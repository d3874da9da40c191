package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stores throw io.drover.errors exceptions and HttpApi maps them: the answers are exactly those
 * the stores gave when they threw ApiError (status, code, message and details, whole body).
 */
class DomainErrorAnswersTest {
    @Test
    void domainRefusalsAnswerInTheOneErrorShape() throws Exception {
        try (TestServer server = TestServer.start()) {
            Api api = new Api(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "dea")).status()).isEqualTo(201);

            Api.Answer missing = api.get("/v1/jobs/no-such-job");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.text()).isEqualTo("{\"error\":{\"code\":\"not_found\","
                    + "\"message\":\"job no-such-job not found\",\"details\":{\"id\":\"no-such-job\"}}}");

            Api.Answer taken = api.post("/v1/jobs", Map.of("slug", "dea"));
            assertThat(taken.status()).isEqualTo(409);
            assertThat(taken.text()).isEqualTo("{\"error\":{\"code\":\"slug_taken\","
                    + "\"message\":\"a job with slug 'dea' already exists\",\"details\":{\"field\":\"slug\"}}}");

            Api.Answer kind = api.patch("/v1/jobs/dea", Map.of("execution", "http",
                    "endpoint_url", "https://example.com/hook"));
            assertThat(kind.status()).isEqualTo(422);
            assertThat(kind.text()).isEqualTo("{\"error\":{\"code\":\"validation_failed\",\"message\":"
                    + "\"execution: cannot change a worker job into an http job; create a new job\","
                    + "\"details\":{\"field\":\"execution\"}}}");

            assertThat(api.post("/v1/workflows", Map.of("slug", "dea-wf", "steps", List.of(
                    Map.of("id", "a", "job", "dea")))).status()).isEqualTo(201);
            Api.Answer notObject = api.patch("/v1/workflows/dea-wf", List.of(1));
            assertThat(notObject.status()).isEqualTo(400);
            assertThat(notObject.text()).isEqualTo("{\"error\":{\"code\":\"invalid_body\","
                    + "\"message\":\"request body must be a JSON object\",\"details\":{}}}");
        }
    }

    /** The identity refusals that became domain exceptions keep their HTTP status, code and details. */
    @Test
    void eachDomainRefusalMapsToItsStatus() {
        record Case(io.drover.errors.DomainException e, int status, String code) {}
        for (Case k : List.of(
                new Case(new io.drover.errors.Unauthorized("invalid_credentials", "wrong email or password"), 401,
                        "invalid_credentials"),
                new Case(new io.drover.errors.Forbidden("only an owner can invite an owner"), 403, "forbidden"),
                new Case(new io.drover.errors.Gone("token_used", "this reset token was already used"), 410, "token_used"),
                new Case(new io.drover.errors.TooManyAttempts("too_many_attempts", "try again in 9 seconds", 9), 429,
                        "too_many_attempts"),
                new Case(new io.drover.errors.NotFound("invalid_token", "no such reset token", Map.of()), 404,
                        "invalid_token"),
                new Case(new io.drover.errors.Invalid("weak_password", "password is too easy to guess",
                        Map.of("field", "password")), 422, "weak_password"))) {
            ApiError a = ApiError.from(k.e());
            assertThat(a.status()).as(k.code()).isEqualTo(k.status());
            assertThat(a.code()).isEqualTo(k.code());
            assertThat(a.getMessage()).isEqualTo(k.e().getMessage());
            assertThat(a.details()).isEqualTo(k.e().details());
        }
        assertThat(ApiError.from(new io.drover.errors.TooManyAttempts("too_many_attempts", "m", 9)).details())
                .isEqualTo(Map.of("retry_after_secs", 9L));
    }
}
