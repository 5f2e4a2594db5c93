package io.shardgrid.common.limits;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardgrid.common.error.GridErrorCode;
import io.shardgrid.common.error.GridException;
import org.junit.jupiter.api.Test;

class LimitsTest {
    private final Limits limits = new Limits(64, 1000);

    @Test
    void badInputIsNamedWithItsValue() {
        assertThatThrownBy(() -> limits.checkKey(0)).isInstanceOf(GridException.class)
            .hasMessageContaining("key must not be empty");
        assertThatThrownBy(() -> limits.checkKey(70)).hasMessageContaining("key length 70 exceeds limit 64");
        assertThatThrownBy(() -> limits.checkValue(1001)).hasMessageContaining("value length 1001 exceeds limit 1000");
        assertThatThrownBy(() -> Limits.checkTtl(-5)).hasMessageContaining("ttl -5 ms must not be negative");
        assertThatThrownBy(() -> limits.checkKey(0))
            .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((GridException) e).code())
                .isEqualTo(GridErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void valuesAtTheLimitPass() {
        assertThatCode(() -> limits.checkEntry(64, 1000, 0)).doesNotThrowAnyException();
        assertThatCode(() -> limits.checkEntry(1, 0, Limits.MAX_TTL_MS)).doesNotThrowAnyException();
    }

    @Test
    void configuredLimitsAreValidated() {
        assertThatThrownBy(() -> new Limits(0, 10)).hasMessageContaining("max key bytes 0");
        assertThatThrownBy(() -> new Limits(70_000, 10)).hasMessageContaining("max key bytes 70000");
        assertThatThrownBy(() -> new Limits(10, -1)).hasMessageContaining("max value bytes -1");
    }
}
