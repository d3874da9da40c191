package io.drover.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The signing of {@link Signatures} against the Standard Webhooks specification's published test vector. */
class SignaturesTest {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsLikeTheSpecificationsTestVector() {
        assertThat(Signatures.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, BODY))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void twoSecretsGiveTwoSpaceSeparatedSignaturesNewFirst() {
        String other = Signatures.newSecret();
        String header = Signatures.header("msg_1", 1, BODY, other, SECRET);
        assertThat(header.split(" ")).containsExactly(Signatures.sign(other, "msg_1", 1, BODY),
                Signatures.sign(SECRET, "msg_1", 1, BODY));
        assertThat(Signatures.header("msg_1", 1, BODY, SECRET, null)).doesNotContain(" ");
    }

    @Test
    void newSecretsAreWhsecAnd24RandomBytes() {
        String a = Signatures.newSecret();
        assertThat(a).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(a.substring(6))).hasSize(24);
        assertThat(a).isNotEqualTo(Signatures.newSecret());
    }
}
