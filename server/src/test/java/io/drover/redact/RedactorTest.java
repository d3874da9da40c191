package io.drover.redact;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default value pattern: card numbers are masked, ids that merely hold a Luhn-valid digit run are not. */
class RedactorTest {
    /**
     * Run ids (UUIDv7) and derived event ids whose hex holds a Luhn-valid run of 13 to 19 digits (e.g.
     * 25085-2460-7618-8): each was masked in its middle, and a webhook's run_id no longer named its run.
     */
    static final List<String> IDS = List.of("01a25085-2460-7618-8ea3-747c397b4431",
            "01a25085-2460-7620-9497-07390e41fbaa", "01a25085-2460-7622-8860-41da6d2f349d",
            "01a25085-24ce-7080-9017-71845f560309", "01a25085-2715-7481-9175-e39373acac2b",
            "01a25085-2464-727e-8000-000000000003", "01a25085-2464-727e-8000-000000000011",
            "01abcdef-abcd-7abc-8123-456789012340");

    @Test
    void idsSurviveWholeInTextAndJson() {
        Redactor r = Redactor.defaults();
        for (String id : IDS) {
            assertThat(r.redactText("run " + id + " created")).isEqualTo("run " + id + " created");
            JsonNode body = Json.read("{\"type\":\"run.created\",\"data\":{\"id\":\"" + id + "\",\"run_id\":\"" + id
                    + "\"}}");
            assertThat(r.redact(body)).isEqualTo(body);
        }
    }

    @Test
    void cardNumbersAreStillMasked() {
        Redactor r = Redactor.defaults();
        for (String card : List.of("4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111")) {
            assertThat(r.redactText("card " + card)).isEqualTo("card [REDACTED]");
            assertThat(r.redactText("card: " + card + ", exp 12/30")).isEqualTo("card: [REDACTED], exp 12/30");
            assertThat(r.redact(Json.read("{\"note\":\"" + card + "\"}")).get("note").asText()).isEqualTo("[REDACTED]");
        }
        assertThat(r.redactText("run 1234567890123 at 2026-01-01")).contains("1234567890123"); // not Luhn-valid
    }
}
