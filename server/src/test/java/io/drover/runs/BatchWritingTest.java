package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.store.UuidV7;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The batch helpers of triggers give what their one-at-a-time forms give. */
class BatchWritingTest {

    @Test
    void filledIdsAreVersion7AndIncreasing() {
        UUID[] ids = new UUID[5000];
        UuidV7.fill(ids);
        for (int i = 0; i < ids.length; i++) {
            assertThat(ids[i].version()).isEqualTo(7);
            assertThat(ids[i].variant()).isEqualTo(2);
            if (i > 0) {
                assertThat(Long.compareUnsigned(ids[i].getMostSignificantBits(), ids[i - 1].getMostSignificantBits()))
                        .isPositive();
            }
        }
        UUID after = UuidV7.next();
        assertThat(Long.compareUnsigned(after.getMostSignificantBits(), ids[ids.length - 1].getMostSignificantBits()))
                .isPositive();
    }
}
