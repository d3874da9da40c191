package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordsTest {
    static final Passwords PASSWORDS = new Passwords();

    @Test
    void argon2idPhcRoundTrip() {
        String phc = PASSWORDS.hash("correct horse battery staple");
        assertThat(phc).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(PASSWORDS.verify("correct horse battery staple", phc)).isTrue();
        assertThat(PASSWORDS.verify("correct horse battery stapler", phc)).isFalse();
        assertThat(PASSWORDS.hash("correct horse battery staple")).isNotEqualTo(phc); // salted
        // parameters are read from the string: a cheaper stored hash still verifies
        String cheap = new Passwords(1024, 1).hash("pw-with-other-params");
        assertThat(PASSWORDS.verify("pw-with-other-params", cheap)).isTrue();
        for (String broken : new String[] {"", "$argon2i$v=19$m=19456,t=2,p=1$abc$def", "$argon2id$v=19$m=1,t=1,p=1$AA$AA",
                phc.replace("t=2", "t=3"), "plain"}) {
            assertThat(PASSWORDS.verify("correct horse battery staple", broken)).as(broken).isFalse();
        }
    }

    @Test
    void costOfOneVerification() {
        String phc = PASSWORDS.hash("measure me please 123");
        int n = 10;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            PASSWORDS.verify("measure me please 123", phc);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000 / n;
        System.out.println("argon2id m=19456 t=2 p=1: " + ms + " ms per verification");
        assertThat(ms).isLessThan(2_000);
    }
}
