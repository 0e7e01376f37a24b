package io.opsflow.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.opsflow.environments.HostConfig;

class ScalePlannerTest {
    static final List<HostConfig> HOSTS = List.of(new HostConfig("h1", "10.0.0.1", null, 8000),
            new HostConfig("h2", "10.0.0.2", null, 8000), new HostConfig("h3", "10.0.0.3", null, 8000));

    static AppInstance i(String host, String name) {
        return new AppInstance(host, name, host + "-" + name, "http://x", "blue", "active", true);
    }

    @Test
    void upSpreadsOverTheEmptiestHostsWithEnvironmentUniqueNames() {
        ScalePlan p = ScalePlanner.plan("webapp", HOSTS, List.of(i("h1", "blue"), i("h1", "i1"), i("h2", "blue")), 6, 2);
        assertThat(p.direction()).isEqualTo(ScalePlan.Direction.UP);
        assertThat(p.add()).containsExactly(new Placement("h3", "i2"), new Placement("h2", "i3"),
                new Placement("h3", "i4"));
        assertThat(p.previousCount()).isEqualTo(3);
        assertThat(p.capacity()).isEqualTo(6);
    }

    @Test
    void downRemovesScaleInstancesFirstFromTheFullestHost() {
        ScalePlan p = ScalePlanner.plan("webapp", HOSTS, List.of(i("h1", "blue"), i("h2", "blue"), i("h3", "blue"),
                i("h1", "i1"), i("h2", "i2"), i("h2", "i3")), 2, 2);
        assertThat(p.direction()).isEqualTo(ScalePlan.Direction.DOWN);
        assertThat(p.remove()).containsExactly(new Placement("h2", "i3"), new Placement("h2", "i2"),
                new Placement("h1", "i1"), new Placement("h3", "blue"));
    }

    @Test
    void refusalsSayWhy() {
        List<AppInstance> two = List.of(i("h1", "blue"), i("h2", "blue"));
        assertThat(ScalePlanner.plan("webapp", HOSTS, two, 0, 2).refusal()).contains("at least 1 instance");
        assertThat(ScalePlanner.plan("webapp", HOSTS, two, 7, 2).refusal())
                .contains("exceed the capacity of 3 host(s) x 2 per host = 6");
        assertThat(ScalePlanner.plan("webapp", HOSTS, List.of(), 2, 2).refusal()).contains("deploy it first");
        // an instance on a host that left the configuration still occupies a name but gives no room
        assertThat(ScalePlanner.plan("webapp", HOSTS.subList(0, 1), List.of(i("h1", "blue"), i("old", "i1")), 3, 3)
                .add()).containsExactly(new Placement("h1", "i2"));
        assertThat(ScalePlanner.plan("webapp", HOSTS, two, 2, 2).direction()).isEqualTo(ScalePlan.Direction.NONE);
    }

    @Test
    void placementsParseAndRefuseHostileNames() {
        assertThat(Placement.parse("staging-web-1/i3")).isEqualTo(new Placement("staging-web-1", "i3"));
        for (String bad : List.of("h1", "h1/", "/i1", "h1/$(id)", "-rf/i1", "h1/i1/x", "h 1/i1")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Placement.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Placement.scaleIndex("i12")).isEqualTo(12);
        assertThat(Placement.scaleIndex("blue")).isZero();
    }
}
