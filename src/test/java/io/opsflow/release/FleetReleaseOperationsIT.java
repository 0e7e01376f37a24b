package io.opsflow.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * The real {@link FleetReleaseOperations} against the sandbox fleet (in-process SSH hosts, the workers/ scripts,
 * real ansible-playbook, the sandbox load balancer), checked from outside (each instance's own {@code /version},
 * the load balancer's admin API): what the end-to-end runs do not show one by one. Works on one staging host and
 * leaves it as it found it (the fleet is shared with the other end-to-end tests).
 */
@SandboxApp.Test
class FleetReleaseOperationsIT {
    static final String ENV = "staging";
    static final List<String> VERSIONS = List.of("1.0.0", "1.1.0", "1.2.0");
    static final StepLog STEP_LOG = StepLogs.noop();

    @Autowired
    ReleaseOperations ops;
    @Autowired
    Environments environments;

    private String versionOf(String host, String instance) {
        HostConfig h = environments.get(ENV).host(host).orElseThrow();
        RestClient.Response r = RestClient.anonymous(0).getAbsolute("http://" + h.address() + ":"
                + environments.instancePort(h, "webapp", instance) + "/version");
        return r.json().path("version").asText();
    }

    private JsonNode backend(String id) {
        JsonNode pools = RestClient.anonymous(0).getAbsolute(environments.get(ENV).loadBalancer().apiUrl()
                + "/_lb/pools").json();
        for (JsonNode b : pools.path("pools").path("webapp").path("backends")) {
            if (id.equals(b.path("id").asText())) {
                return b;
            }
        }
        throw new AssertionError("no backend " + id + " in " + pools);
    }

    @Test
    void operationsOnOneHostAreRealAndReportWhatTheySee() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        assertThat(ops).isInstanceOf(FleetReleaseOperations.class);

        FleetState fleet = ops.observe(ENV, "webapp", STEP_LOG);
        assertThat(fleet.hosts()).hasSize(2);
        String h1 = fleet.hosts().get(0);
        String h2 = fleet.hosts().get(1);
        InstanceState live = fleet.live(h1).orElseThrow();
        String was = live.version();
        String other = fleet.live(h2).orElseThrow().version();
        assertThat(versionOf(h1, live.instance())).as("observe reads what runs").isEqualTo(was);
        assertThat(live.running()).isTrue();
        String target = VERSIONS.stream().filter(v -> !v.equals(was) && !v.equals(other)).findFirst().orElseThrow();
        String backendId = h1 + "-" + live.instance();

        try {
            // evidence: deploy-app.yml --check --diff changes nothing and shows the new version
            CheckDiff diff = ops.checkDiff(ENV, "webapp", target, List.of(
                    new PlanEntry(h1, live.instance(), live.instance(), was, was, target, 0)), STEP_LOG);
            assertThat(diff.ok()).as(diff.summary()).isTrue();
            assertThat(diff.changedHosts()).containsExactly(h1);
            assertThat(diff.output()).contains("### " + h1).contains("releases/" + target);
            assertThat(versionOf(h1, live.instance())).isEqualTo(was);

            // evidence of release-version: the dry run of release-activate.sh, the script that then acts
            CheckDiff dry = ops.dryRun(ENV, "webapp", target, List.of(
                    new PlanEntry(h1, live.instance(), live.instance(), was, was, target, 0)), STEP_LOG);
            assertThat(dry.ok()).as(dry.summary()).isTrue();
            assertThat(dry.changedHosts()).containsExactly(h1);
            assertThat(dry.output()).contains("### " + h1).contains("switch current " + was + " -> " + target)
                    .contains("restart on port");
            assertThat(versionOf(h1, live.instance())).as("a dry run changes nothing").isEqualTo(was);
            CheckDiff same = ops.dryRun(ENV, "webapp", was, List.of(
                    new PlanEntry(h1, live.instance(), live.instance(), was, was, was, 0)), STEP_LOG);
            assertThat(same.changedHosts()).as(same.output()).isEmpty();
            assertThat(same.output()).contains("no changes: already runs " + was);
            CheckDiff missing = ops.dryRun(ENV, "webapp", "9.9.9", List.of(
                    new PlanEntry(h1, live.instance(), live.instance(), was, was, "9.9.9", 0)), STEP_LOG);
            assertThat(missing.ok()).as("an artifact the store lacks fails the check as it would fail the release")
                    .isFalse();
            assertThat(missing.output()).contains("would FAIL");
            assertThat(versionOf(h1, live.instance())).isEqualTo(was);

            // one rolling step: drain, activate, check (right and wrong version), undrain
            ops.drain(ENV, "webapp", h1, live.instance(), STEP_LOG);
            assertThat(backend(backendId).path("state").asText()).isEqualTo("drained");
            Activation a = ops.activate(ENV, "webapp", h1, live.instance(), target, STEP_LOG);
            assertThat(a.previousVersion()).isEqualTo(was);
            assertThat(a.healthy()).isTrue();
            assertThat(versionOf(h1, live.instance())).isEqualTo(target);
            assertThat(ops.checkInstance(ENV, "webapp", h1, live.instance(), target, STEP_LOG).healthy()).isTrue();
            HealthResult wrong = ops.checkInstance(ENV, "webapp", h1, live.instance(), was, STEP_LOG);
            assertThat(wrong.healthy()).isFalse();
            assertThat(wrong.detail()).contains(target + " (expected " + was + ")");
            ops.undrain(ENV, "webapp", h1, live.instance(), STEP_LOG);
            assertThat(backend(backendId).path("state").asText()).isEqualTo("active");
            assertThat(backend(backendId).path("healthy").asBoolean()).isTrue();

            // through the load balancer: a mixed fleet is seen as mixed
            HealthResult mixed = ops.checkThroughLoadBalancer(ENV, "webapp", Set.of(target), STEP_LOG);
            assertThat(mixed.healthy()).isFalse();
            assertThat(mixed.observedVersions()).containsExactlyInAnyOrder(target, other);
            assertThat(ops.checkThroughLoadBalancer(ENV, "webapp", new LinkedHashSet<>(List.of(target, other)),
                    STEP_LOG).healthy()).isTrue();

            // a broken version: activation reports unhealthy (no exception), restore puts the old one back
            Activation broken = ops.activate(ENV, "webapp", h1, live.instance(), "2.0.0-broken", STEP_LOG);
            assertThat(broken.healthy()).isFalse();
            assertThat(broken.previousVersion()).isEqualTo(target);
            HealthResult brokenHealth = ops.checkInstance(ENV, "webapp", h1, live.instance(), "2.0.0-broken", STEP_LOG);
            assertThat(brokenHealth.healthy()).isFalse();
            assertThat(brokenHealth.detail()).contains("503");
            ops.restore(ENV, "webapp", h1, live.instance(), target, STEP_LOG);
            assertThat(versionOf(h1, live.instance())).isEqualTo(target);

            // a version the artifact store does not have: a technical failure saying where and what
            assertThatThrownBy(() -> ops.activate(ENV, "webapp", h1, live.instance(), "9.9.9", STEP_LOG))
                    .hasMessageContaining(h1).hasMessageContaining("release-activate.sh").hasMessageContaining("9.9.9");
            assertThat(versionOf(h1, live.instance())).isEqualTo(target);
        } finally {
            ops.restore(ENV, "webapp", h1, live.instance(), was, STEP_LOG);
            ops.undrain(ENV, "webapp", h1, live.instance(), STEP_LOG);
        }
        assertThat(ops.observe(ENV, "webapp", STEP_LOG).liveVersions()).isEqualTo(fleet.liveVersions());
    }
}
