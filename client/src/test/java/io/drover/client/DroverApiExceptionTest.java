package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DroverApiExceptionTest {

    private final ObjectMapper mapper = DroverJson.newMapper();

    @Test
    void parsesTheErrorShape() {
        DroverApiException e = DroverApiException.fromResponse(422,
                "{\"error\": {\"code\": \"validation_failed\", \"message\": \"slug is invalid\","
                        + " \"details\": {\"field\": \"slug\"}}}", mapper);

        assertThat(e.httpStatus()).isEqualTo(422);
        assertThat(e.code()).isEqualTo("validation_failed");
        assertThat(e.errorMessage()).isEqualTo("slug is invalid");
        assertThat(e.details().path("field").asText()).isEqualTo("slug");
        assertThat(e.getMessage()).isEqualTo("HTTP 422 validation_failed: slug is invalid");
    }

    @Test
    void missingDetailsAreANullNode() {
        DroverApiException e = DroverApiException.fromResponse(404,
                "{\"error\": {\"code\": \"not_found\", \"message\": \"no such run\"}}", mapper);

        assertThat(e.details().isNull()).isTrue();
        assertThat(e.details().path("field").isMissingNode()).isTrue();
    }

    @Test
    void aNonJsonBodyKeepsItsTextAndAGenericCode() {
        DroverApiException e = DroverApiException.fromResponse(502, "<html>Bad gateway</html>", mapper);

        assertThat(e.code()).isEqualTo("http_502");
        assertThat(e.errorMessage()).isEqualTo("<html>Bad gateway</html>");
    }

    @Test
    void jsonWithoutTheErrorShapeOrAnEmptyBodyStillGivesAnException() {
        assertThat(DroverApiException.fromResponse(500, "{\"oops\": 1}", mapper).code()).isEqualTo("http_500");
        assertThat(DroverApiException.fromResponse(401, "", mapper).errorMessage()).isEqualTo("no error body");
    }

    @Test
    void longRawBodiesAreCut() {
        DroverApiException e = DroverApiException.fromResponse(500, "x".repeat(10_000), mapper);

        assertThat(e.errorMessage()).hasSizeLessThan(600).endsWith("...");
    }
}
