package io.opsflow.release;

import static io.opsflow.release.ReleaseTestSupport.STEP_LOG;
import static io.opsflow.release.ReleaseTestSupport.rolling;
import static io.opsflow.release.ReleaseTestSupport.vars;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.InOrder;

import io.opsflow.platform.approval.FourEyesGuard.FourEyesViolationException;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/** deploy-application with the platform wired in and a mocked {@link ReleaseOperations}: every path. */
@Deployment(resources = {"deploy-application.bpmn",
        "deploy-application-approval.form"})
class DeployApplicationProcessTest {
    static final String KEY = "deploy-application";
    static final String API = "api";

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(TestEngines.defaultEnvironments(),
            new ReleaseVersionRunbook(), new DeployApplicationRunbook());

    ReleaseTestSupport t;
    ReleaseOperations ops;

    @BeforeEach
    void setUp() {
        t = new ReleaseTestSupport(ext.getProcessEngine());
        ops = t.ops;
    }

    @AfterEach
    void tearDown() {
        t.close();
    }

    /** Start variables for the api application (1.0.0 in staging); {@code kv} overrides. */
    private static Map<String, Object> api(Object... kv) {
        Map<String, Object> m = vars("application", API, "version", "1.0.0");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private ProcessInstance run(Map<String, Object> vars) {
        ProcessInstance pi = t.start(KEY, vars);
        t.runJobs(pi);
        return pi;
    }

    @Test
    void firstDeploymentConfiguresInstallsStartsChecksAndRegisters() {
        when(ops.observe("staging", API, STEP_LOG)).thenReturn(rolling(2, null), rolling(2, "1.0.0"));
        when(ops.checkInstance(any(), any(), any(), any(), any(), any())).thenReturn(HealthResult.ok("200", "1.0.0"));

        ProcessInstance pi = run(api());

        assertThat(pi).isEnded().hasPassed("Task_GatherEvidence", "Task_ConfigureHosts", "Task_InstallApp",
                "Task_StartInstances", "Task_HealthCheck", "Task_RegisterBackends", "Task_VerifyThroughLb",
                "Task_RecordResult", "End_Succeeded").hasNotPassed("Task_Approve", "Task_RemoveApp");
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        Map<String, String> before = t.versions(pi, "hostsBefore");
        assertThat(before).containsOnlyKeys("h1", "h2");
        assertThat(before.values()).containsOnlyNulls();
        assertThat(t.versions(pi, "hostsAfter")).containsExactly(entry("h1", "1.0.0"), entry("h2", "1.0.0"));
        InOrder o = inOrder(ops);
        o.verify(ops).checkDiff("staging", API, "1.0.0", List.of(
                new PlanEntry("h1", "blue", null, null, null, "1.0.0", 0),
                new PlanEntry("h2", "blue", null, null, null, "1.0.0", 0)), STEP_LOG);
        o.verify(ops).configureHosts("staging", API, List.of("h1", "h2"), STEP_LOG);
        o.verify(ops).installRelease("staging", API, "1.0.0", "h1", "blue", STEP_LOG);
        o.verify(ops).installRelease("staging", API, "1.0.0", "h2", "blue", STEP_LOG);
        o.verify(ops).startInstance("staging", API, "h1", "blue", STEP_LOG);
        o.verify(ops).startInstance("staging", API, "h2", "blue", STEP_LOG);
        o.verify(ops).checkInstance("staging", API, "h1", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).checkInstance("staging", API, "h2", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).registerBackend("staging", API, "h1", "blue", "blue", STEP_LOG);
        o.verify(ops).registerBackend("staging", API, "h2", "blue", "blue", STEP_LOG);
        o.verify(ops).checkThroughLoadBalancer("staging", API, Set.of("1.0.0"), STEP_LOG);
        verify(ops, never()).removeInstance(any(), any(), any(), any(), any(), any());
    }

    @Test
    void anApplicationAlreadyDeployedThereIsRefusedAndNothingChanges() {
        when(ops.observe("staging", "webapp", STEP_LOG)).thenReturn(rolling(2, "1.0.0"));

        ProcessInstance pi = run(api("application", "webapp"));

        assertThat(pi).isEnded().hasPassed("Event_AlreadyDeployed", "End_NotPossible");
        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) t.var(pi, "failureReason")).contains("webapp is already deployed in staging")
                .contains("h1/blue 1.0.0").contains("release-version");
        assertThat(t.versions(pi, "hostsAfter")).isEqualTo(t.versions(pi, "hostsBefore"));
        verify(ops, never()).configureHosts(any(), any(), anyList(), any());
        verify(ops, never()).installRelease(any(), any(), any(), any(), any(), any());
        verify(ops, never()).checkDiff(any(), any(), any(), anyList(), any());
    }

    @Test
    void unhealthyNewInstancesAreStoppedAndRemovedInReverseOrder() {
        when(ops.observe("staging", API, STEP_LOG)).thenReturn(rolling(2, null));
        when(ops.checkInstance("staging", API, "h2", "blue", "1.0.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));
        when(ops.checkInstance("staging", API, "h1", "blue", "1.0.0", STEP_LOG))
                .thenReturn(HealthResult.ok("200", "1.0.0"));

        ProcessInstance pi = run(api());

        assertThat(pi).isEnded().hasPassed("Event_CompensateDeploy", "Task_StopInstances", "Task_RemoveApp",
                "Task_VerifyRollback", "End_RolledBack").hasNotPassed("Task_RegisterBackends",
                "Task_DeregisterBackends");
        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) t.var(pi, "rollbackReason")).contains("h2/blue: 503");
        InOrder o = inOrder(ops);
        o.verify(ops).stopInstance("staging", API, "h2", "blue", STEP_LOG);
        o.verify(ops).stopInstance("staging", API, "h1", "blue", STEP_LOG);
        o.verify(ops).removeInstance("staging", API, "h2", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).removeInstance("staging", API, "h1", "blue", "1.0.0", STEP_LOG);
        verify(ops, never()).registerBackend(any(), any(), any(), any(), any(), any());
        verify(ops, never()).deregisterBackend(any(), any(), any(), any(), any());
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h2", "h1");
    }

    @Test
    void failureThroughTheLoadBalancerDeregistersStopsAndRemoves() {
        when(ops.observe("staging", API, STEP_LOG)).thenReturn(rolling(2, null));
        when(ops.checkThroughLoadBalancer("staging", API, Set.of("1.0.0"), STEP_LOG))
                .thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(api());

        assertThat(pi).isEnded().hasPassed("Task_DeregisterBackends", "Task_StopInstances", "Task_RemoveApp",
                "End_RolledBack");
        InOrder o = inOrder(ops);
        o.verify(ops).deregisterBackend("staging", API, "h2", "blue", STEP_LOG);
        o.verify(ops).deregisterBackend("staging", API, "h1", "blue", STEP_LOG);
        o.verify(ops).stopInstance("staging", API, "h2", "blue", STEP_LOG);
        o.verify(ops).stopInstance("staging", API, "h1", "blue", STEP_LOG);
        o.verify(ops).removeInstance("staging", API, "h2", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).removeInstance("staging", API, "h1", "blue", "1.0.0", STEP_LOG);
        assertThat(t.versions(pi, "hostsAfter").values()).containsOnlyNulls();
    }

    @Test
    void leftoversAfterTheRollbackEndFailed() {
        when(ops.observe("staging", API, STEP_LOG)).thenReturn(rolling(1, null), rolling(1, "1.0.0"));
        when(ops.checkInstance(any(), any(), any(), any(), any(), any())).thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(api());

        assertThat(pi).isEnded().hasPassed("End_RollbackIncomplete");
        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) t.var(pi, "failureReason")).contains("still installed: h1/blue 1.0.0");
    }

    @Test
    void productionNeedsAnotherUsersApproval() {
        when(ops.observe("production", API, STEP_LOG)).thenReturn(rolling(3, null), rolling(3, "1.0.0"));
        ProcessInstance pi = t.startAs("alice", KEY, api("environment", "production", "reason", "new service"));
        t.runJobs(pi);
        assertThat(pi).isWaitingAt("Task_Approve");
        Task task = ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
        assertThat((String) ext.getTaskService().getVariable(task.getId(), "evidenceSummary"))
                .contains("h3: (none) -> 1.0.0 (instance blue");
        verify(ops, never()).configureHosts(any(), any(), anyList(), any());

        // the initiator is refused even as a member of the approver group
        assertThatThrownBy(() -> Approve.as(ext.getProcessEngine(), "alice", task.getId(), true, null))
                .hasRootCauseInstanceOf(FourEyesViolationException.class);
        assertThat(pi).isWaitingAt("Task_Approve");
        Approve.as(ext.getProcessEngine(), "bob", task.getId(), true, null);
        t.runJobs(pi);

        assertThat(pi).isEnded().hasPassed("End_Succeeded");
        assertThat(t.var(pi, "approvedBy")).isEqualTo("bob");
    }

    @Test
    void productionRejectedOrPastTheDeadlineDeploysNothing() {
        when(ops.observe("production", API, STEP_LOG)).thenReturn(rolling(3, null));
        ProcessInstance rejected = t.startAs("alice", KEY, api("environment", "production", "reason", "x"));
        t.runJobs(rejected);
        Approve.as(ext.getProcessEngine(), "bob", ext.getTaskService().createTaskQuery()
                .processInstanceId(rejected.getId()).singleResult().getId(), false, null);
        assertThat(rejected).isEnded().hasPassed("End_Rejected");
        assertThat(t.var(rejected, "outcome")).isEqualTo("REJECTED");

        ProcessInstance late = t.startAs("alice", KEY, api("environment", "production", "reason", "x"));
        t.runJobs(late);
        t.fireTimer(late, "Event_ApprovalReminder");
        assertThat(late).isWaitingAt("Task_Approve");
        t.fireTimer(late, "Event_ApprovalDeadline");
        assertThat(late).isEnded().hasPassed("End_DeadlinePassed");
        assertThat(t.var(late, "rejectionReason")).isEqualTo("approval deadline passed");
        assertThat(t.var(late, "remindersSent")).isEqualTo(1);
        verify(ops, never()).configureHosts(any(), any(), anyList(), any());
        verify(ops, never()).installRelease(any(), any(), any(), any(), any(), any());
    }

    @Test
    void invalidInputIsRefusedAndNothingStarts() {
        assertThatThrownBy(() -> t.start(KEY, api("application", "API!"))).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("application:");
        assertThatThrownBy(() -> t.start(KEY, api("version", "$(reboot)"))).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("version:");
        assertThatThrownBy(() -> t.start(KEY, api("environment", "production")))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("reason: is required");
        assertThat(ext.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        verifyNoInteractions(ops);
    }

    @Test
    void aSecondDeployOfTheSameApplicationIsRefusedWhileOneRuns() {
        ProcessInstance first = t.start(KEY, api());
        assertThatThrownBy(() -> t.start(KEY, api())).isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("release:staging/api").hasMessageContaining(first.getId());
        ext.getRuntimeService().deleteProcessInstance(first.getId(), "cancelled in Cockpit");
        assertThat(t.start(KEY, api())).isNotNull();
    }
}
