package io.shardgrid.common.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DurationTextTest {
    @Test
    void unitsAndBareNumbers() {
        assertThat(DurationText.parseMs("30", TimeUnit.SECONDS)).isEqualTo(30_000);
        assertThat(DurationText.parseMs("30s", TimeUnit.SECONDS)).isEqualTo(30_000);
        assertThat(DurationText.parseMs("500ms", TimeUnit.SECONDS)).isEqualTo(500);
        assertThat(DurationText.parseMs("5m", TimeUnit.SECONDS)).isEqualTo(300_000);
        assertThat(DurationText.parseMs(" 2H ", TimeUnit.SECONDS)).isEqualTo(7_200_000);
        assertThat(DurationText.parseMs("250", TimeUnit.MILLISECONDS)).isEqualTo(250);
    }

    @Test
    void badTextIsRefusedWithTheReason() {
        assertThatThrownBy(() -> DurationText.parseMs("-5", TimeUnit.SECONDS)).hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> DurationText.parseMs("soon", TimeUnit.SECONDS)).hasMessageContaining("is not a duration");
        assertThatThrownBy(() -> DurationText.parseMs("99999999999999999h", TimeUnit.SECONDS))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long");
    }
}
