package io.opsflow.step.ansible;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.camunda.bpm.engine.variable.value.FileValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.TestEngines;

/**
 * The {@code ansiblePlaybook} delegate in a real engine with the real ansible-playbook: outputs as process
 * variables, PLAYBOOK_FAILED caught by an error boundary, unreachable hosts as retries then an incident, inputs
 * from the environment (inventory, limit to its group).
 */
class AnsiblePlaybookDelegateIT {
    static ProcessEngine engine;
    static Path dir;
    static Path inventory;
    static Environments environments;

    RuntimeService runtime;
    AnsibleStep step;

    @BeforeAll
    static void setUpEngine() throws IOException {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        dir = Files.createTempDirectory("opsflow-ansible-delegate-it-");
        Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(dir.resolve("store"));
        inventory = Files.writeString(dir.resolve("hosts.yml"), """
                staging:
                  hosts:
                    local-1:
                      ansible_connection: local
                  vars:
                    app_root: %s
                    artifact_store: %s
                production:
                  hosts:
                    local-2:
                      ansible_connection: local
                """.formatted(dir.resolve("root"), dir.resolve("store")));
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec staging = new EnvironmentsProperties.EnvironmentSpec();
        staging.setAnsibleInventory(inventory.toString());
        p.getEnvironments().put("staging", staging);
        environments = new Environments(p);
        engine = TestEngines.engine(environments);
        engine.getRepositoryService().createDeployment().addClasspathResource("bpmn/ansible-playbook-sample.bpmn")
                .deploy();
    }

    @AfterAll
    static void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    @BeforeEach
    void setUp() {
        runtime = engine.getRuntimeService();
        AnsibleProperties props = new AnsibleProperties();
        props.setDir(Path.of("ansible"));
        step = new AnsibleStep(new CommandRunner(), props);
        StaticListableBeanFactory beans = new StaticListableBeanFactory(Map.of("environments", environments));
        Mocks.register("ansiblePlaybook", new AnsiblePlaybookDelegate(step, new StepLogs(dir.resolve("logs").toString()),
                beans.getBeanProvider(Environments.class), dir.toString()));
    }

    @AfterEach
    void reset() {
        Mocks.reset();
    }

    private ProcessInstance startAndRunJob(Map<String, Object> vars) {
        ProcessInstance pi = runtime.startProcessInstanceByKey("ansible-playbook-sample", vars);
        Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
        engine.getManagementService().executeJob(job.getId());
        return pi;
    }

    private String waitingAt(ProcessInstance pi) {
        return engine.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult()
                .getTaskDefinitionKey();
    }

    @Test
    void successSetsOutputsAndConfinesTheRunToTheEnvironmentGroup() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("playbook", "ping.yml");
        vars.put("environment", "staging");
        ProcessInstance pi = startAndRunJob(vars);
        assertThat(waitingAt(pi)).isEqualTo("Task_Done");
        Map<String, Object> out = runtime.getVariables(pi.getId());
        // production's local-2 is in the same inventory but never touched: the limit is the environment's group
        assertThat((String) out.get("ansibleStats")).isEqualTo(
                "{\"local-1\":{\"ok\":1,\"changed\":0,\"failed\":0,\"unreachable\":0,\"skipped\":0,\"rescued\":0,\"ignored\":0}}");
        assertThat(out.get("ansibleFailedHosts")).isEqualTo(List.of());
        assertThat(out.get("ansibleUnreachableHosts")).isEqualTo(List.of());
        assertThat(out.get("ansibleChanged")).isEqualTo(false);
        assertThat(out.get("ansibleDiff")).isEqualTo("");
        assertThat((String) out.get("Task_Ansible_log")).contains("ansible-playbook").contains("--limit staging")
                .contains("\"event\": \"stats\"");
        assertThat(Path.of(dir.resolve("logs").toString(), pi.getId())).isDirectoryContaining("glob:**.log");
    }

    @Test
    void checkModeEvidenceLandsInVariablesAndNothingChanges() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("playbook", "deploy-app.yml");
        vars.put("environment", "staging");
        vars.put("extraVars", "{\"app\":\"webapp\",\"version\":\"1.1.0\",\"instance\":\"blue\",\"port\":8081}");
        vars.put("checkMode", true);
        try {
            Files.writeString(dir.resolve("store/webapp-1.1.0.tar.gz"), "not read in check mode");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ProcessInstance pi = startAndRunJob(vars);
        assertThat(waitingAt(pi)).isEqualTo("Task_Done");
        Map<String, Object> out = runtime.getVariables(pi.getId());
        assertThat(out.get("ansibleChanged")).isEqualTo(true);
        String diff = (String) out.get("ansibleDiff");
        assertThat(diff).contains("=== local-1 | app_release : Report the release that would be installed (check mode)")
                .contains("would install " + dir.resolve("store/webapp-1.1.0.tar.gz")).contains("+PORT=8081");
        assertThat(diff.length()).isLessThanOrEqualTo(3900);
        FileValue file = runtime.getVariableTyped(pi.getId(), "ansibleDiffFile");
        assertThat(file.getMimeType()).isEqualTo("text/plain");
        try (var in = file.getValue()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("+PORT=8081");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        assertThat(dir.resolve("root/apps")).doesNotExist();
    }

    @Test
    void failedTaskIsTheModelledErrorPlaybookFailed() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("playbook", "deploy-app.yml");
        vars.put("environment", "staging");
        vars.put("extraVars", new java.util.HashMap<>(Map.of("app", "webapp", "version", "1.1.0;id", "instance", "blue", "port", 8081)));
        ProcessInstance pi = startAndRunJob(vars);
        assertThat(waitingAt(pi)).isEqualTo("Task_Investigate");
        Map<String, Object> out = runtime.getVariables(pi.getId());
        assertThat(out.get("ansibleFailedHosts")).isEqualTo(List.of("local-1"));
        assertThat((String) out.get("ansibleStats")).contains("\"local-1\":{\"ok\":0,\"changed\":0,\"failed\":1");
        assertThat((String) out.get("playbookError")).startsWith("Playbook failed on local-1: local-1: "
                + "app_release : Validate the release parameters: invalid release parameters");
        assertThat(dir.resolve("root/apps")).doesNotExist();
    }

    @Test
    void unreachableHostIsRetriedThenAnIncidentNamingHostAndReason() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            closed = s.getLocalPort();
        }
        Files.writeString(dir.resolve("dead.yml"), """
                all:
                  hosts:
                    dead-1:
                      ansible_host: 127.0.0.1
                      ansible_port: %d
                      ansible_user: nobody
                """.formatted(closed));
        Map<String, Object> vars = new HashMap<>();
        vars.put("playbook", "ping.yml");
        vars.put("inventory", dir.resolve("dead.yml").toString());
        ProcessInstance pi = runtime.startProcessInstanceByKey("ansible-playbook-sample", vars);
        var mgmt = engine.getManagementService();
        for (int i = 0; i < 2; i++) {
            Job job = mgmt.createJobQuery().processInstanceId(pi.getId()).singleResult();
            assertThat(job.getRetries()).isPositive();
            assertThatThrownBy(() -> mgmt.executeJob(job.getId())).hasMessageContaining("Hosts unreachable: dead-1");
        }
        Incident incident = runtime.createIncidentQuery().processInstanceId(pi.getId()).singleResult();
        assertThat(incident.getIncidentMessage()).contains("Hosts unreachable: dead-1")
                .containsAnyOf("port " + closed + ": Connection refused", "Broken pipe")
                .contains("Check that the host is up");
        assertThat(runtime.getVariables(pi.getId())).doesNotContainKey("ansibleStats");
    }

    @Test
    void badInputIsAnIncidentBeforeAnythingRuns() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("playbook", "../../etc/passwd.yml");
        vars.put("environment", "staging");
        ProcessInstance pi = runtime.startProcessInstanceByKey("ansible-playbook-sample", vars);
        var mgmt = engine.getManagementService();
        Job job = mgmt.createJobQuery().processInstanceId(pi.getId()).singleResult();
        assertThatThrownBy(() -> mgmt.executeJob(job.getId())).hasMessageContaining("playbook: not a playbook name");

        Map<String, Object> outside = new HashMap<>();
        outside.put("playbook", "ping.yml");
        outside.put("inventory", "/etc/ansible/hosts");
        ProcessInstance pi2 = runtime.startProcessInstanceByKey("ansible-playbook-sample", outside);
        Job job2 = mgmt.createJobQuery().processInstanceId(pi2.getId()).singleResult();
        assertThatThrownBy(() -> mgmt.executeJob(job2.getId())).hasMessageContaining("inventory: must be inside");

        Map<String, Object> hostile = new HashMap<>();
        hostile.put("playbook", "ping.yml");
        hostile.put("environment", "staging");
        hostile.put("limit", "local-1;id");
        ProcessInstance pi3 = runtime.startProcessInstanceByKey("ansible-playbook-sample", hostile);
        Job job3 = mgmt.createJobQuery().processInstanceId(pi3.getId()).singleResult();
        assertThatThrownBy(() -> mgmt.executeJob(job3.getId())).hasMessageContaining("limit: not a host/group pattern");
        assertThat(dir.resolve("logs").resolve(pi3.getId())).doesNotExist();
    }

    @Test
    void aLimitOutsideTheEnvironmentMatchesNothing() {
        // what the delegate builds for environment=staging, limit=local-2 (a production host)
        String limit = AnsiblePlaybookDelegate.effectiveLimit("local-2", "staging", true);
        AnsibleRun crossing = AnsibleRun.builder(step.playbook("ping.yml"), inventory).limit(limit).build();
        assertThatThrownBy(() -> step.runPlaybook(crossing)).isInstanceOf(AnsibleRunException.class)
                .hasMessageContaining("no hosts");
        String both = AnsiblePlaybookDelegate.effectiveLimit("local-1,local-2", "staging", true);
        PlaybookResult r = step.runPlaybook(AnsibleRun.builder(step.playbook("ping.yml"), inventory).limit(both).build());
        assertThat(r.stats()).containsOnlyKeys("local-1");
    }
}
