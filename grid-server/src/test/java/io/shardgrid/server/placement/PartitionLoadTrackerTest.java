package io.shardgrid.server.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardgrid.server.placement.PeerProbe.LeaderLoad;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Operation counters sampled per round become a rate sustained over a whole window, or nothing. */
class PartitionLoadTrackerTest {
    private final PartitionLoadTracker tracker = new PartitionLoadTracker(1_000, 3_000);

    private Map<Integer, Long> round(long atMs, long p0Writes, String p0Leader) {
        return tracker.update(Map.of(0, new LeaderLoad(p0Leader, p0Writes), 1, new LeaderLoad("n2", atMs / 10)),
            atMs);
    }

    @Test
    void aPartitionAboveTheThresholdForAWholeWindowIsHotAtItsLowestRate() {
        assertThat(round(0, 0, "n1")).isEmpty();
        assertThat(round(1_000, 2_000, "n1")).isEmpty();
        assertThat(round(2_000, 3_500, "n1")).isEmpty();
        // 3 s of rounds at 2000, 1500 and 3000 writes/s; p1 runs at 100/s throughout.
        assertThat(round(3_000, 6_500, "n1")).containsExactly(Map.entry(0, 1_500L));
        assertThat(round(4_000, 8_500, "n1")).containsExactly(Map.entry(0, 1_500L));
    }

    @Test
    void oneRoundBelowTheThresholdStartsTheWindowAgain() {
        round(0, 0, "n1");
        round(1_000, 2_000, "n1");
        round(2_000, 2_500, "n1"); // 500/s
        assertThat(round(3_000, 4_500, "n1")).isEmpty();
        assertThat(round(4_000, 6_500, "n1")).isEmpty();
        // Hot again from 2 s on: a whole window at 5 s.
        assertThat(round(5_000, 8_500, "n1")).containsExactly(Map.entry(0, 2_000L));
    }

    @Test
    void aNewLeaderOrAForgottenPartitionIsMeasuredAfresh() {
        round(0, 0, "n1");
        round(1_000, 2_000, "n1");
        round(2_000, 4_000, "n1");
        // The leader moved: n3's counter counts from n3's start, not n1's.
        assertThat(round(3_000, 100_000, "n3")).isEmpty();
        assertThat(round(4_000, 102_000, "n3")).isEmpty();
        tracker.forget(0);
        assertThat(round(5_000, 104_000, "n3")).isEmpty();
        assertThat(round(6_000, 106_000, "n3")).isEmpty();
        assertThat(round(7_000, 108_000, "n3")).isEmpty();
        assertThat(round(8_000, 110_000, "n3")).containsKey(0);
    }

    @Test
    void withoutAThresholdNothingIsHot() {
        PartitionLoadTracker off = new PartitionLoadTracker(0, 1_000);
        for (long t = 0; t < 10_000; t += 1_000) {
            assertThat(off.update(Map.of(0, new LeaderLoad("n1", t * 100)), t)).isEmpty();
        }
    }
}
