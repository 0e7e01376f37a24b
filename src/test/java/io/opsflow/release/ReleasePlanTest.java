package io.opsflow.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Planning a release from an observed fleet: batches, colours, refusals, and the JSON form variables hold. */
class ReleasePlanTest {

    static FleetState fleet(String activeColour, InstanceState... instances) {
        return new FleetState(List.of("a", "b", "c"), activeColour, List.of(instances));
    }

    @Test
    void batchesAreConsecutiveAndAtMostBatchSize() {
        assertThat(ReleasePlan.batches(List.of("a", "b", "c", "d", "e"), 2))
                .containsExactly(List.of("a", "b"), List.of("c", "d"), List.of("e"));
        assertThat(ReleasePlan.batches(List.of("a", "b"), 5)).containsExactly(List.of("a", "b"));
        assertThat(ReleasePlan.batches(List.of(), 1)).isEmpty();
        assertThatThrownBy(() -> ReleasePlan.batches(List.of("a"), 0)).hasMessageContaining("batchSize");
    }

    @Test
    void rollingUpdatesTheLiveInstanceInPlaceAndSkipsHostsWithoutTheApplication() {
        FleetState f = fleet("green", new InstanceState("a", "blue", "0.9.0", true),
                new InstanceState("a", "green", "1.0.0", true), new InstanceState("b", "green", "1.0.1", false));

        ReleasePlan p = ReleasePlan.forRelease(f, "webapp", "rolling", "1.1.0", List.of(List.of("a"), List.of("b")));

        assertThat(p.entries()).containsExactly(new PlanEntry("a", "green", "green", "1.0.0", "1.0.0", "1.1.0", 0),
                new PlanEntry("b", "green", "green", "1.0.1", "1.0.1", "1.1.0", 1));
        assertThat(p.skippedHosts()).containsExactly("c");
        assertThat(p.versionsBefore()).containsEntry("a", "1.0.0").containsEntry("b", "1.0.1");
        assertThat(p.describe("staging", "webapp")).contains("batch 2:\n  b (green): 1.0.1 -> 1.1.0")
                .contains("left alone: c");
    }

    @Test
    void withoutAnActiveColourTheRunningInstanceIsLiveBlueFirst() {
        FleetState f = new FleetState(List.of("a"), null, List.of(new InstanceState("a", "green", "1.0.0", true),
                new InstanceState("a", "blue", "0.9.0", true)));
        assertThat(f.live("a").orElseThrow().instance()).isEqualTo("blue");
        FleetState stopped = new FleetState(List.of("a"), null, List.of(new InstanceState("a", "green", "1.0.0",
                false), new InstanceState("a", "i1", "0.9.0", true)));
        assertThat(stopped.live("a").orElseThrow().instance()).isEqualTo("i1");
    }

    @Test
    void blueGreenTargetsTheIdleColourAndRemembersWhatItRan() {
        FleetState f = fleet("blue", new InstanceState("a", "blue", "1.0.0", true),
                new InstanceState("a", "green", "0.9.0", false), new InstanceState("b", "blue", "1.0.0", true));

        ReleasePlan p = ReleasePlan.forRelease(f, "webapp", "blue-green", "1.1.0", List.of());

        assertThat(p.previousColour()).isEqualTo("blue");
        assertThat(p.targetColour()).isEqualTo("green");
        assertThat(p.entries()).containsExactly(new PlanEntry("a", "green", "blue", "1.0.0", "0.9.0", "1.1.0", 0),
                new PlanEntry("b", "green", "blue", "1.0.0", null, "1.1.0", 0));
    }

    @Test
    void refusesWhatCannotBeReleased() {
        assertThatThrownBy(() -> ReleasePlan.forRelease(fleet(null), "webapp", "rolling", "1.1.0", List.of()))
                .isInstanceOf(ReleaseNotPossibleException.class).hasMessageContaining("deploy-application");
        FleetState scaled = fleet(null, new InstanceState("a", "i1", "1.0.0", true));
        assertThatThrownBy(() -> ReleasePlan.forRelease(scaled, "webapp", "blue-green", "1.1.0", List.of()))
                .isInstanceOf(ReleaseNotPossibleException.class).hasMessageContaining("blue and green");
        FleetState mixed = fleet(null, new InstanceState("a", "blue", "1.0.0", true),
                new InstanceState("b", "green", "1.0.0", true));
        assertThatThrownBy(() -> ReleasePlan.forRelease(mixed, "webapp", "blue-green", "1.1.0", List.of()))
                .isInstanceOf(ReleaseNotPossibleException.class).hasMessageContaining("one colour");
    }

    @Test
    void survivesItsJsonVariable() {
        FleetState f = fleet(null, new InstanceState("a", "blue", "1.0.0", true),
                new InstanceState("b", "blue", "1.0.0", true));
        ReleasePlan p = ReleasePlan.forRelease(f, "webapp", "canary", "1.1.0", List.of(List.of("a"), List.of("b")));

        String json = ReleaseJson.write(p);

        assertThat(ReleaseJson.plan(json)).isEqualTo(p);
        assertThat(json).doesNotContain("batchCount").contains("\"entries\"");
        assertThat(p.batchCount()).isEqualTo(2);
        assertThat(p.batchHosts()).containsExactly(List.of("a"), List.of("b"));
        assertThatThrownBy(() -> ReleaseJson.plan("{not json")).hasMessageContaining("releasePlan");
    }
}
