package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.opsflow.platform.approval.FourEyesGuard;
import io.opsflow.environments.Environments;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/** The platform's guarantees at the engine level: validated starts, named locks, the four-eyes rule. */
@Deployment(resources = "bpmn/platform-sample.bpmn")
class PlatformProcessTest {

    static final RunbookDefinition SAMPLE = new SampleRunbook();

    @RegisterExtension
    static ProcessEngineExtension extension = TestEngines.extension(TestEngines.defaultEnvironments(), SAMPLE);

    ProcessEngine engine;

    @AfterEach
    void clearAuth() {
        extension.getProcessEngine().getIdentityService().clearAuthentication();
    }

    Map<String, Object> vars(Object... kv) {
        Map<String, Object> m = new HashMap<>(Map.of("environment", "staging", "application", "webapp",
                "version", "1.1.0"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    ProcessInstance start(Map<String, Object> vars) {
        return extension.getRuntimeService().startProcessInstanceByKey("platform-sample", vars);
    }

    @Test
    void validStartGetsDefaultsAndPolicyVariables() {
        ProcessInstance pi = start(vars());
        assertThat(pi).isWaitingAt("Task_Approve").variables()
                .containsEntry("batchSize", 1).containsEntry("strategy", "rolling")
                .containsEntry("requiresApproval", false).containsEntry("approverGroup", "approvers")
                .containsEntry("runbookLock", "release:staging/webapp");
    }

    @Test
    void listsAndMapsAreStoredAsJsonNotJavaSerialization() {
        ProcessInstance pi = start(vars());
        extension.getRuntimeService().setVariable(pi.getId(), "hosts",
                new java.util.ArrayList<>(List.of("staging-web-1", "staging-web-2")));
        extension.getRuntimeService().setVariable(pi.getId(), "versions",
                new java.util.LinkedHashMap<>(Map.of("staging-web-1", "1.0.0")));
        assertThat(extension.getRuntimeService().getVariable(pi.getId(), "hosts"))
                .isEqualTo(List.of("staging-web-1", "staging-web-2"));
        org.camunda.bpm.engine.variable.value.ObjectValue raw = extension.getRuntimeService()
                .getVariableTyped(pi.getId(), "versions", false);
        assertThat(raw.getSerializationDataFormat()).isEqualTo("application/json");
        assertThat(raw.getValueSerialized()).isEqualTo("{\"staging-web-1\":\"1.0.0\"}");
    }

    @Test
    void hostileInputIsRefusedAndNothingIsPersisted() {
        List<Object[]> corpus = List.of(
                new Object[] {"application", "web;rm -rf /"}, new Object[] {"application", "$(id)"},
                new Object[] {"application", "`id`"}, new Object[] {"application", "web\napp"},
                new Object[] {"application", "../etc"}, new Object[] {"application", "-rf"},
                new Object[] {"application", "a".repeat(10_000)}, new Object[] {"application", 42},
                new Object[] {"version", "1.0;reboot"}, new Object[] {"version", "-1.0"},
                new Object[] {"version", "1.0 2.0"}, new Object[] {"version", "../../1.0"},
                new Object[] {"environment", "nowhere"}, new Object[] {"batchSize", 0},
                new Object[] {"batchSize", "3"}, new Object[] {"batchSize", true},
                new Object[] {"strategy", "big-bang"}, new Object[] {"reason", "x\u0000y"});
        for (Object[] bad : corpus) {
            assertThatThrownBy(() -> start(vars(bad[0], bad[1])))
                    .as("%s=%s", bad[0], bad[1])
                    .isInstanceOf(RunbookInputException.class)
                    .hasMessageContaining(bad[0] + ":");
        }
        assertThatThrownBy(() -> start(vars("application", null))).hasMessageContaining("application: is required");
        assertThatThrownBy(() -> start(vars("environment", "production")))
                .hasMessageContaining("reason: is required");
        assertThat(extension.getRuntimeService().createProcessInstanceQuery().count()).isZero();
        assertThat(extension.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }

    @Test
    void secondRunOnTheSameLockIsRefusedUntilTheFirstEnds() {
        ProcessInstance first = start(vars());
        assertThatThrownBy(() -> start(vars("version", "1.2.0"))).isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("release:staging/webapp").hasMessageContaining(first.getId());
        start(vars("application", "api")); // another application is another lock
        assertThat(extension.getRuntimeService().createProcessInstanceQuery().count()).isEqualTo(2);

        extension.getRuntimeService().deleteProcessInstance(first.getId(), "cancelled in Cockpit", true);
        ProcessInstance second = start(vars("version", "1.2.0"));
        assertThat(second).isActive();
    }

    @Test
    void initiatorCanNeitherClaimNorBeAssignedNorCompleteTheApproval() {
        extension.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start(vars("environment", "production", "reason", "fix"));
        extension.getIdentityService().clearAuthentication();
        Task task = extension.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();

        assertThatThrownBy(() -> extension.getTaskService().claim(task.getId(), "alice"))
                .hasRootCauseInstanceOf(FourEyesGuard.FourEyesViolationException.class).hasMessageContaining("Four-eyes rule");
        assertThatThrownBy(() -> extension.getTaskService().setAssignee(task.getId(), "alice"))
                .hasRootCauseInstanceOf(FourEyesGuard.FourEyesViolationException.class).hasMessageContaining("Four-eyes rule");
        extension.getIdentityService().setAuthenticatedUserId("alice");
        assertThatThrownBy(() -> extension.getTaskService().complete(task.getId()))
                .hasRootCauseInstanceOf(FourEyesGuard.FourEyesViolationException.class).hasMessageContaining("Four-eyes rule");
        extension.getIdentityService().clearAuthentication();
        // being in the approver group does not make the initiator a second person
        assertThatThrownBy(() -> Approve.as(extension.getProcessEngine(), "alice", task.getId(), true, "mine"))
                .hasRootCauseInstanceOf(FourEyesGuard.FourEyesViolationException.class).hasMessageContaining("Four-eyes rule");
        assertThat(pi).isWaitingAt("Task_Approve");

        extension.getIdentityService().setAuthentication("bob", List.of("approvers"));
        extension.getTaskService().claim(task.getId(), "bob");
        extension.getIdentityService().clearAuthentication();
        Approve.as(extension.getProcessEngine(), "bob", task.getId(), true, null);
        assertThat(pi).isEnded().variables().containsEntry("approvedBy", "bob");
    }
}
