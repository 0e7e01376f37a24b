package io.opsflow.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.http.HttpHealthCheck;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * The fleet client without hosts: what it asks the worker scripts (argv) and how it reads their answers, with
 * {@link WorkerScripts} answering as docs/contracts.md says the scripts do.
 */
class FleetScopeTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Call(String host, String script, List<String> args, Duration timeout) {
    }

    final WorkerScripts workers = mock(WorkerScripts.class);
    final HostTargets targets = mock(HostTargets.class);
    final List<Call> calls = new ArrayList<>();
    final List<WorkerResult> answers = new ArrayList<>();
    final StepLogs.MemoryStepLog log = StepLogs.memory();
    FleetScope fleet;

    @BeforeEach
    void setUp() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
        for (int i = 1; i <= 2; i++) {
            EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
            h.setName("web-" + i);
            h.setAddress("10.0.0." + i);
            h.setPortBase(8000);
            s.getHosts().add(h);
        }
        s.getLoadBalancer().setUrl("http://lb.example:8080/");
        s.getLoadBalancer().setApiUrl("http://lb.example:9090/");
        s.setArtifactStore("/srv/artifacts/");
        p.getEnvironments().put("staging", s);
        Environments environments = new Environments(p);
        when(targets.target(any(Environment.class), any(HostConfig.class))).thenAnswer(inv -> new SshTarget(
                inv.getArgument(1, HostConfig.class).name(), 22, "deploy", "env:KEY", null, null,
                List.of("SHA256:" + "A".repeat(43))));
        when(workers.run((SshTarget) any(), any(), anyList(), any(), eq(log))).thenAnswer(inv -> {
            calls.add(new Call(inv.getArgument(0, SshTarget.class).host(), inv.getArgument(1),
                    inv.getArgument(2), inv.getArgument(3)));
            return answers.remove(0);
        });
        Fleet client = new Fleet(environments, targets, workers, mock(SshFanOut.class), mock(SshStep.class),
                mock(HttpHealthCheck.class));
        fleet = client.in("staging", Duration.ofMinutes(1), log);
    }

    void answer(int exitCode, String json) throws Exception {
        answers.add(new WorkerResult(exitCode, JSON.readTree(json), json));
    }

    @Test
    void activateMapsTheEnvironmentAndReportsAnUnhealthyStartAsAResult() throws Exception {
        answer(0, "{\"ok\":true,\"previousVersion\":\"1.0.0\",\"port\":8000,\"healthy\":true}");
        Activated a = fleet.activate("web-1", "webapp", "blue", "1.1.0", Duration.ofSeconds(20), true);
        assertThat(a).isEqualTo(new Activated("web-1", "blue", "1.0.0", "1.1.0", 8000, true, null));
        assertThat(calls.get(0).args()).containsExactly("--root", "~", "--app", "webapp", "--instance", "blue",
                "--version", "1.1.0", "--artifact", "/srv/artifacts/webapp-1.1.0.tar.gz", "--port", "8000",
                "--health-path", "/health", "--health-timeout", "20", "--sha256", "auto");

        answer(1, "{\"ok\":false,\"error\":\"not healthy\",\"previousVersion\":\"1.1.0\",\"healthy\":false}");
        Activated broken = fleet.activate("web-1", "webapp", "blue", "2.0.0-broken", Duration.ofSeconds(20), false);
        assertThat(broken.healthy()).isFalse();
        assertThat(broken.error()).isEqualTo("not healthy");
        assertThat(calls.get(1).args()).doesNotContain("--sha256");

        answer(1, "{\"ok\":false,\"error\":\"download failed\"}");
        assertThatThrownBy(() -> fleet.activate("web-2", "webapp", "blue", "9.9.9", Duration.ofSeconds(20), true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("web-2: release-activate.sh webapp 9.9.9 on blue failed (exit 1): download failed");
        assertThatThrownBy(() -> fleet.activate("web-9", "webapp", "blue", "1.1.0", Duration.ofSeconds(20), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no host web-9");
    }

    @Test
    void inventoryIsParsedOnce() throws Exception {
        answer(0, "{\"ok\":true,\"instances\":[{\"app\":\"webapp\",\"instance\":\"blue\",\"state\":\"running\","
                + "\"desiredState\":null,\"version\":\"1.0.0\",\"port\":8000,\"healthy\":true},{\"app\":\"api\","
                + "\"instance\":\"i1\",\"state\":\"stopped\",\"desiredState\":\"running\",\"version\":null,"
                + "\"port\":null,\"healthy\":null}]}");
        List<HostInstance> on = fleet.inventory("web-2", true);
        assertThat(on).containsExactly(
                new HostInstance("web-2", "webapp", "blue", "running", null, "1.0.0", 8000, true),
                new HostInstance("web-2", "api", "i1", "stopped", "running", null, null, null));
        assertThat(on.get(0).wanted()).isTrue();
        assertThat(on.get(1).wanted()).isTrue();
        assertThat(on.get(1).running()).isFalse();
        assertThat(calls.get(0).args()).containsExactly("--root", "~");
    }

    @Test
    void oneBackendIsDrainedAndWaitedForInOneCall() throws Exception {
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":0,\"idle\":true,\"waitedMs\":40}");
        Drained d = fleet.drain("web-1", "webapp", "blue", Duration.ofSeconds(30));
        assertThat(d).isEqualTo(new Drained("web-1-blue", true, 0));
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).args()).containsExactly("--api", "http://lb.example:9090", "--pool", "webapp",
                "--backend", "web-1-blue", "--wait-idle", "30", "drain");
        assertThat(calls.get(0).timeout()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void aHostsBackendsAreAllDrainedFirstThenWaitedForTogether() throws Exception {
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":2}");
        answer(1, "{\"ok\":false,\"error\":\"no such backend\",\"present\":false}");
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":1}");
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":0,\"idle\":true}");
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":1,\"idle\":false}");
        List<Drained> drained = fleet.drain("web-1", List.of(instance("webapp", "blue"), instance("webapp", "green"),
                instance("api", "blue")), Duration.ofSeconds(30));
        assertThat(drained).containsExactly(new Drained("web-1-blue", true, 0), new Drained("web-1-blue", false, 1));
        // the waits share the drain-wait: each gets what is left of it (whole seconds)
        assertThat(calls).extracting(c -> String.join(" ", c.args().subList(4, c.args().size()))
                .replaceAll("--wait-idle (29|30) ", "--wait-idle 30 "))
                .containsExactly("--backend web-1-blue drain", "--backend web-1-green drain",
                        "--backend web-1-blue drain", "--backend web-1-blue --wait-idle 30 drain",
                        "--backend web-1-blue --wait-idle 30 drain");
        assertThat(calls).extracting(c -> c.args().get(3)).containsExactly("webapp", "webapp", "api", "webapp", "api");
        assertThat(log.lines()).anyMatch(l -> l.contains("web-1-green is not a backend of pool webapp: drain skipped"))
                .anyMatch(l -> l.contains("still 1 request(s) in flight"));
    }

    @Test
    void aLoadBalancerThatDoesNotCountInFlightRequestsGetsTheDrainWaitAsADelay() throws Exception {
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"drained\",\"inFlight\":null,\"idle\":null}");
        long start = System.nanoTime();
        Drained d = fleet.drain("web-2", "webapp", "blue", Duration.ofSeconds(1));
        assertThat(d.idle()).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(800));
        assertThat(log.lines()).anyMatch(l -> l.contains("does not count in-flight requests: waiting"));

        answer(1, "{\"ok\":false,\"error\":\"no such backend\",\"present\":false}");
        assertThat(fleet.drain("web-2", "webapp", "green", Duration.ofSeconds(30))).isNull();
    }

    @Test
    void backendsAndSwitchesNameTheBackendAndThePool() throws Exception {
        answer(0, "{\"ok\":true,\"present\":true,\"state\":\"active\",\"healthy\":true,"
                + "\"url\":\"http://10.0.0.2:8001\",\"color\":\"green\",\"active\":\"blue\",\"inFlight\":0}");
        Backend b = fleet.addBackend("web-2", "webapp", "green", "green", Duration.ofSeconds(15));
        assertThat(b).isEqualTo(new Backend("web-2-green", "webapp", true, "active", true, "http://10.0.0.2:8001",
                "green", "blue", 0));
        assertThat(calls.get(0).args()).containsExactly("--api", "http://lb.example:9090", "--pool", "webapp",
                "--backend", "web-2-green", "--url", "http://10.0.0.2:8001", "--color", "green", "--wait-healthy",
                "15", "add");

        answer(0, "{\"ok\":true,\"present\":false,\"active\":\"green\"}");
        assertThat(fleet.activeColour("webapp")).isEqualTo("green");
        assertThat(calls.get(1).host()).isEqualTo("web-1");
        assertThat(calls.get(1).args()).containsSubsequence("--backend", "web-1-blue", "status");

        answer(0, "{\"ok\":true,\"pool\":\"webapp\",\"previous\":\"green\",\"active\":\"blue\",\"changed\":true}");
        fleet.switchTo("webapp", "blue");
        assertThat(calls.get(2).script()).isEqualTo("lb-switch.sh");
        assertThat(calls.get(2).args()).containsExactly("--api", "http://lb.example:9090", "--pool", "webapp", "--to",
                "blue");
        assertThat(fleet.loadBalancerUri("webapp", "/health").toString())
                .isEqualTo("http://lb.example:8080/webapp/health");
    }

    @Test
    void servicesAndRemovalsReportWhatTheScriptsSay() throws Exception {
        answer(1, "{\"ok\":false,\"error\":\"not healthy within 20 s\",\"state\":\"running\",\"healthy\":false}");
        ServiceResult started = fleet.start("web-1", "webapp", "blue", Duration.ofSeconds(20));
        assertThat(started.running()).isTrue();
        assertThat(started.ok()).isFalse();
        assertThat(calls.get(0).args()).containsExactly("--root", "~", "--app", "webapp", "--instance", "blue",
                "--health-timeout", "20", "start");

        answer(1, "{\"ok\":false,\"error\":\"port in use\",\"state\":\"stopped\"}");
        ServiceResult restarted = fleet.restart("web-1", "webapp", "blue", Duration.ofSeconds(20));
        assertThat(restarted.ok()).isFalse();
        assertThat(restarted.error()).isEqualTo("port in use");
        answer(2, "{\"ok\":false,\"error\":\"invalid --app\"}");
        assertThatThrownBy(() -> fleet.restart("web-1", "webapp", "blue", Duration.ofSeconds(20)))
                .hasMessage("web-1: service.sh restart webapp/blue failed (exit 2): invalid --app");

        answer(1, "{\"ok\":false,\"error\":\"runs 1.2.0\",\"currentVersion\":\"1.2.0\",\"instanceRemoved\":false}");
        Removed r = fleet.remove("web-1", "webapp", "blue", "1.1.0");
        assertThat(r.ownedByLaterChange()).isTrue();
        assertThat(r.laterVersion()).isEqualTo("1.2.0");
        assertThat(calls.get(3).args()).containsExactly("--root", "~", "--app", "webapp", "--instance", "blue",
                "--version", "1.1.0");
    }

    static HostInstance instance(String app, String instance) {
        return new HostInstance("web-1", app, instance, "running", "running", "1.0.0", 8000, true);
    }
}
