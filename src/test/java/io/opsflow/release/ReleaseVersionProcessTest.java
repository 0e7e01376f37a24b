package io.opsflow.release;

import static io.opsflow.release.ReleaseTestSupport.STEP_LOG;
import static io.opsflow.release.ReleaseTestSupport.APP;
import static io.opsflow.release.ReleaseTestSupport.colour;
import static io.opsflow.release.ReleaseTestSupport.rolling;
import static io.opsflow.release.ReleaseTestSupport.vars;
import static io.opsflow.release.ReleaseTestSupport.withInstance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anySet;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.camunda.bpm.engine.runtime.Job;
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

/**
 * release-version on an engine with the platform wired in (validation, lock, four-eyes) and a mocked
 * {@link ReleaseOperations}: every path of the diagram, and that compensation restores exactly the touched hosts in
 * reverse order.
 */
@Deployment(resources = {"release-version.bpmn", "release-version-approval.form"})
class ReleaseVersionProcessTest {
    static final String KEY = "release-version";

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

    private ProcessInstance run(Map<String, Object> vars) {
        ProcessInstance pi = t.start(KEY, vars);
        t.runJobs(pi);
        return pi;
    }

    // ------------------------------------------------------------------------------------------------ happy paths

    @Test
    void aReleaseOverAHundredHostsKeepsEveryVariableWithinWhatTheDatabaseHolds() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(100, "1.0.0"), rolling(100, "1.1.0"));

        ProcessInstance pi = run(vars("batchSize", 25));

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(t.plan(pi).entries()).hasSize(100);
        assertThat(t.versions(pi, "hostsAfter")).hasSize(100).containsValue("1.1.0").doesNotContainValue("1.0.0");
    }

    @Test
    void aHundredHostReleaseInProductionIsApprovedAndActsOnThePlanItsApproverSaw() {
        when(ops.observe("production", APP, STEP_LOG)).thenReturn(rolling(100, "1.0.0"), rolling(100, "1.1.0"));
        ProcessInstance pi = t.startAs("alice", KEY, vars("environment", "production", "reason", "CHG-100",
                "batchSize", 50));
        t.runJobs(pi);
        assertThat(pi).isWaitingAt("Task_Approve");
        assertThat(String.valueOf(t.var(pi, "releasePlan")).length()).as("larger than a text column")
                .isGreaterThan(4000);

        Approve.as(ext.getProcessEngine(), "bob", approvalTask(pi).getId(), true, "go");
        t.runJobs(pi);

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops).activate("production", APP, "h100", "blue", "1.1.0", STEP_LOG);
    }

    @Test
    void theHostsOfABatchAreActivatedAndCheckedAtOnceUpToTheEnvironmentsParallelism() {
        when(ops.parallelism("staging")).thenReturn(4);
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(8, "1.0.0"), rolling(8, "1.1.0"));
        // each host's activation and health check waits until all four hosts of its batch are at the same point:
        // done one after the other, the first would wait in vain and fail the step
        CyclicBarrier activating = new CyclicBarrier(4);
        CyclicBarrier checking = new CyclicBarrier(4);
        when(ops.activate(eq("staging"), eq(APP), anyString(), eq("blue"), eq("1.1.0"), eq(STEP_LOG)))
                .thenAnswer(inv -> {
                    activating.await(20, TimeUnit.SECONDS);
                    return new Activation(inv.getArgument(2), "blue", "1.0.0", "1.1.0", true, "started");
                });
        when(ops.checkInstance(eq("staging"), eq(APP), anyString(), eq("blue"), eq("1.1.0"), eq(STEP_LOG)))
                .thenAnswer(inv -> {
                    checking.await(20, TimeUnit.SECONDS);
                    return HealthResult.ok("200 UP", "1.1.0");
                });

        ProcessInstance pi = run(vars("batchSize", 4));

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(t.versions(pi, "hostsAfter")).hasSize(8).doesNotContainValue("1.0.0");
        for (int h = 1; h <= 8; h++) {
            verify(ops).drain("staging", APP, "h" + h, "blue", STEP_LOG);
            verify(ops).undrain("staging", APP, "h" + h, "blue", STEP_LOG);
        }
    }

    @Test
    void aHostFailingInAParallelBatchFailsTheStepNamingItOnlyAfterTheOtherHostsFinished() {
        when(ops.parallelism("staging")).thenReturn(4);
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(4, "1.0.0"));
        when(ops.activate("staging", APP, "h2", "blue", "1.1.0", STEP_LOG))
                .thenThrow(new IllegalStateException("h2: release-activate.sh exited 1: disk full"));
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        for (String h : List.of("h1", "h3", "h4")) {
            when(ops.activate("staging", APP, h, "blue", "1.1.0", STEP_LOG)).thenAnswer(inv -> {
                Thread.sleep(300); // slower than the failing host: the step must still wait for it
                finished.incrementAndGet();
                return new Activation(h, "blue", "1.0.0", "1.1.0", true, "started");
            });
        }
        ProcessInstance pi = t.startAs("alice", KEY, vars("batchSize", 4));

        assertThatThrownBy(() -> t.runJobs(pi)).hasMessageContaining("h2").hasMessageContaining("disk full");

        assertThat(finished).as("every other host of the batch finished before the step failed").hasValue(3);
        assertThat(pi).isWaitingAt("Task_ActivateBatch"); // technical failure: retried, then an incident
        verify(ops, never()).checkInstance(any(), any(), any(), any(), any(), any());
    }

    @Test
    void rollingReleasesBatchByBatchBehindHealthGates() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(3, "1.0.0"), rolling(3, "1.1.0"));

        ProcessInstance pi = run(vars("batchSize", 2));

        assertThat(pi).isEnded().hasPassed("Task_GatherEvidence", "Task_ActivateBatch", "Task_HealthGate",
                "Task_VerifyRolloutThroughLb", "Task_RecordResult", "End_Succeeded")
                .hasNotPassed("Task_Approve", "Task_RestoreBatch", "Task_VerifyRollback", "Event_CanaryBake");
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(t.var(pi, "batches")).isEqualTo("[[\"h1\",\"h2\"],[\"h3\"]]");
        assertThat(t.versions(pi, "hostsBefore")).containsExactly(entry("h1", "1.0.0"), entry("h2", "1.0.0"),
                entry("h3", "1.0.0"));
        assertThat(t.versions(pi, "hostsAfter")).containsExactly(entry("h1", "1.1.0"), entry("h2", "1.1.0"),
                entry("h3", "1.1.0"));
        assertThat(ext.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi.getId())
                .activityId("Task_ActivateBatch").count()).isEqualTo(2);
        InOrder o = inOrder(ops);
        // the evidence is the dry run of the script that acts (release-activate.sh --check), not the playbook's
        o.verify(ops).dryRun(eq("staging"), eq(APP), eq("1.1.0"), argThat(l -> l.stream().map(PlanEntry::host)
                .toList().equals(List.of("h1", "h2", "h3"))), any());
        verify(ops, never()).checkDiff(any(), any(), any(), anyList(), any());
        for (String h : List.of("h1", "h2")) {
            o.verify(ops).drain("staging", APP, h, "blue", STEP_LOG);
            o.verify(ops).activate("staging", APP, h, "blue", "1.1.0", STEP_LOG);
        }
        o.verify(ops).checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).undrain("staging", APP, "h1", "blue", STEP_LOG);
        o.verify(ops).checkInstance("staging", APP, "h2", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).undrain("staging", APP, "h2", "blue", STEP_LOG);
        o.verify(ops).activate("staging", APP, "h3", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).checkInstance("staging", APP, "h3", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).checkThroughLoadBalancer("staging", APP, Set.of("1.1.0"), STEP_LOG);
        verify(ops, never()).restore(any(), any(), any(), any(), any(), any());
        assertThat(ext.getRuntimeService().createProcessInstanceQuery().count()).isZero();
    }

    @Test
    void blueGreenDeploysToIdleColourSwitchesAndKeepsTheOldColourRunning() {
        FleetState before = rolling(2, "1.0.0");
        FleetState after = colour(withInstance(before, "green", "1.1.0"), "green");
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(before, after);

        ProcessInstance pi = run(vars("strategy", "blue-green"));

        assertThat(pi).isEnded().hasPassed("Task_DeployIdle", "Task_VerifyIdle", "Task_SwitchTraffic",
                "Task_VerifyThroughLb", "End_Succeeded").hasNotPassed("Task_ActivateBatch", "Task_RestoreIdle",
                "Task_SwitchBack");
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(t.var(pi, "previousColour")).isEqualTo("blue");
        assertThat(t.var(pi, "targetColour")).isEqualTo("green");
        assertThat(t.versions(pi, "hostsAfter")).containsExactly(entry("h1", "1.1.0"), entry("h2", "1.1.0"));
        InOrder o = inOrder(ops);
        // pin the serving colour before adding green backends
        o.verify(ops).switchColour("staging", APP, "blue", STEP_LOG);
        o.verify(ops).activate("staging", APP, "h1", "green", "1.1.0", STEP_LOG);
        o.verify(ops).registerBackend("staging", APP, "h1", "green", "green", STEP_LOG);
        o.verify(ops).activate("staging", APP, "h2", "green", "1.1.0", STEP_LOG);
        o.verify(ops).registerBackend("staging", APP, "h2", "green", "green", STEP_LOG);
        o.verify(ops).checkInstance("staging", APP, "h1", "green", "1.1.0", STEP_LOG);
        o.verify(ops).checkInstance("staging", APP, "h2", "green", "1.1.0", STEP_LOG);
        o.verify(ops).switchColour("staging", APP, "green", STEP_LOG);
        o.verify(ops).checkThroughLoadBalancer("staging", APP, Set.of("1.1.0"), STEP_LOG);
        // the old colour is never touched: instant rollback stays possible
        verify(ops, never()).activate(any(), any(), any(), eq("blue"), any(), any());
        verify(ops, never()).stopInstance(any(), any(), any(), eq("blue"), any());
        verify(ops, never()).removeInstance(any(), any(), any(), any(), any(), any());
        verify(ops, never()).drain(any(), any(), any(), any(), any());
    }

    @Test
    void blueGreenFromGreenGoesToBlueWithoutRepinning() {
        FleetState before = colour(withInstance(withInstance(new FleetState(List.of("h1"), null, List.of()), "blue",
                "1.0.0"), "green", "1.1.0"), "green");
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(before);

        ProcessInstance pi = run(vars("strategy", "blue-green", "version", "1.2.0"));

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops).activate("staging", APP, "h1", "blue", "1.2.0", STEP_LOG);
        verify(ops).switchColour("staging", APP, "blue", STEP_LOG);
        verify(ops, never()).switchColour("staging", APP, "green", STEP_LOG);
    }

    @Test
    void canaryBakesOneBatchWithRepeatedChecksBeforeTheRest() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(3, "1.0.0"), rolling(3, "1.1.0"));

        ProcessInstance pi = run(vars("strategy", "canary", "canaryBake", "PT30S", "canaryChecks", 3));

        assertThat(pi).isWaitingAt("Event_CanaryBake");
        assertThat(t.var(pi, "canaryCheckInterval")).isEqualTo("PT10S");
        Job bake = t.timer(pi, "Event_CanaryBake");
        assertThat(bake.getDuedate().getTime() - t.now()).isBetween(8_000L, 10_000L);
        verify(ops).activate("staging", APP, "h1", "blue", "1.1.0", STEP_LOG);
        verify(ops, never()).activate(any(), any(), eq("h2"), any(), any(), any());

        t.fireTimer(pi, "Event_CanaryBake");
        t.fireTimer(pi, "Event_CanaryBake");
        assertThat(pi).isWaitingAt("Event_CanaryBake");
        verify(ops, never()).activate(any(), any(), eq("h2"), any(), any(), any());
        t.fireTimer(pi, "Event_CanaryBake");

        assertThat(pi).isEnded().hasPassed("Task_CanaryCheck", "End_Succeeded");
        assertThat(t.var(pi, "canaryChecksDone")).isEqualTo(3);
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        // gate + 3 bake checks on the canary, then one gate each for the rest
        verify(ops, times(4)).checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG);
        verify(ops, times(1)).checkInstance("staging", APP, "h2", "blue", "1.1.0", STEP_LOG);
        InOrder o = inOrder(ops);
        o.verify(ops, times(4)).checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).activate("staging", APP, "h2", "blue", "1.1.0", STEP_LOG);
        o.verify(ops).activate("staging", APP, "h3", "blue", "1.1.0", STEP_LOG);
    }

    // ------------------------------------------------------------------------------------------------ approval

    private ProcessInstance startProduction(String initiator) {
        when(ops.observe("production", APP, STEP_LOG)).thenReturn(rolling(2, "1.0.0"), rolling(2, "1.1.0"));
        ProcessInstance pi = t.startAs(initiator, KEY, vars("environment", "production", "reason", "CHG-42"));
        t.runJobs(pi);
        return pi;
    }

    private Task approvalTask(ProcessInstance pi) {
        return ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).taskDefinitionKey("Task_Approve")
                .singleResult();
    }

    @Test
    void productionWaitsForApprovalWithEvidenceAndAnotherUserApproves() {
        ProcessInstance pi = startProduction("alice");

        assertThat(pi).isWaitingAt("Task_Approve");
        Task task = approvalTask(pi);
        assertThat(ext.getTaskService().getIdentityLinksForTask(task.getId()))
                .anyMatch(l -> "approvers".equals(l.getGroupId()) && "candidate".equals(l.getType()));
        assertThat(ext.getTaskService().createTaskQuery().taskId(task.getId()).initializeFormKeys().singleResult()
                .getCamundaFormRef().getKey()).isEqualTo("release-version-approval");
        String form = deployedForm(task);
        assertThat(form).contains("\"id\": \"release-version-approval\"").contains("\"key\": \"approved\"")
                .contains("\"key\": \"comment\"").contains("\"key\": \"evidenceSummary\"");
        Map<String, Object> shown = ext.getTaskService().getVariables(task.getId());
        assertThat((String) shown.get("evidenceSummary")).contains("h1 (blue): 1.0.0 -> 1.1.0")
                .contains("h2 (blue): 1.0.0 -> 1.1.0").contains("release-activate.sh --check: 2 host(s) would change");
        assertThat((String) shown.get("checkDiff")).contains("switch current 1.0.0 -> 1.1.0");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());

        Approve.as(ext.getProcessEngine(), "bob", task.getId(), true, "go");
        t.runJobs(pi);

        assertThat(pi).isEnded().hasPassed("Task_Approve", "End_Succeeded");
        assertThat(t.var(pi, "approvedBy")).isEqualTo("bob");
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops).activate("production", APP, "h2", "blue", "1.1.0", STEP_LOG);
    }

    private String deployedForm(Task task) {
        try (var in = ext.getFormService().getDeployedTaskForm(task.getId())) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void rejectedApprovalEndsRejectedAndChangesNothing() {
        ProcessInstance pi = startProduction("alice");
        Approve.as(ext.getProcessEngine(), "bob", approvalTask(pi).getId(), false, "not today");

        assertThat(pi).isEnded().hasPassed("End_Rejected");
        assertThat(t.var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(t.var(pi, "rejectionReason")).isEqualTo("rejected by bob: not today");
        assertThat(t.var(pi, "comment")).isEqualTo("not today");
        assertThat(t.versions(pi, "hostsAfter")).isEqualTo(t.versions(pi, "hostsBefore"));
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
        verify(ops, never()).drain(any(), any(), any(), any(), any());
        // the lock is released: the next release of the same application may start
        assertThat(t.startAs("carol", KEY, vars("environment", "production", "reason", "retry"))).isNotNull();
    }

    @Test
    void approvalDeadlineRejectsAutomatically() {
        ProcessInstance pi = startProduction("alice");
        Job deadline = t.timer(pi, "Event_ApprovalDeadline");
        assertThat(deadline.getDuedate().getTime() - t.now()).isBetween(2 * 3600_000L - 60_000, 2 * 3600_000L);

        t.fireTimer(pi, "Event_ApprovalDeadline");

        assertThat(pi).isEnded().hasPassed("End_DeadlinePassed").hasNotPassed("Task_ActivateBatch");
        assertThat(t.var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(t.var(pi, "rejectionReason")).isEqualTo("approval deadline passed");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    @Test
    void reminderFiresAndTheApprovalStaysOpen() {
        ProcessInstance pi = startProduction("alice");
        Job reminder = t.timer(pi, "Event_ApprovalReminder");
        assertThat(reminder.getDuedate().getTime() - t.now()).isBetween(30 * 60_000L - 60_000, 30 * 60_000L);

        t.fireTimer(pi, "Event_ApprovalReminder");

        assertThat(pi).isWaitingAt("Task_Approve").hasPassed("Task_SendReminder", "End_ReminderSent");
        assertThat(ext.getRuntimeService().getVariable(pi.getId(), "remindersSent")).isEqualTo(1);
        assertThat(ext.getRuntimeService().getVariable(pi.getId(), "outcome")).isNull();
        assertThat(t.timer(pi, "Event_ApprovalDeadline")).isNotNull();
    }

    @Test
    void initiatorCanNeitherClaimNorCompleteTheApproval() {
        ProcessInstance pi = startProduction("alice");
        Task task = approvalTask(pi);

        assertThatThrownBy(() -> ext.getTaskService().claim(task.getId(), "alice"))
                .hasRootCauseInstanceOf(FourEyesViolationException.class);
        // refused even though alice is authenticated as a member of the approver group
        assertThatThrownBy(() -> Approve.as(ext.getProcessEngine(), "alice", task.getId(), true, null))
                .hasRootCauseInstanceOf(FourEyesViolationException.class).hasMessageContaining("Four-eyes");

        assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    // ------------------------------------------------------------------------------------------------ rollback

    @Test
    void healthFailureInTheFirstBatchRestoresOnlyThatBatch() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(3, "1.0.0"));
        when(ops.checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));
        when(ops.checkThroughLoadBalancer("staging", APP, Set.of("1.0.0"), STEP_LOG))
                .thenReturn(HealthResult.ok("ok", "1.0.0"));

        ProcessInstance pi = run(vars());

        assertThat(pi).isEnded().hasPassed("Event_CompensateBatch", "Task_RestoreBatch", "Event_CompensateRollout",
                "Task_VerifyRollback", "End_RolledBack").hasNotPassed("Task_VerifyRolloutThroughLb", "End_Succeeded");
        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h1");
        assertThat((String) t.var(pi, "rollbackReason")).contains("batch 1").contains("h1/blue: 503");
        verify(ops).restore("staging", APP, "h1", "blue", "1.0.0", STEP_LOG);
        verify(ops, times(1)).restore(any(), any(), any(), any(), any(), any());
        verify(ops, never()).activate(any(), any(), eq("h2"), any(), any(), any());
        verify(ops, never()).activate(any(), any(), eq("h3"), any(), any(), any());
        assertThat(t.versions(pi, "hostsAfter")).containsExactly(entry("h1", "1.0.0"), entry("h2", "1.0.0"),
                entry("h3", "1.0.0"));
        // the rollback is verified: each host healthy on its old version, the LB only serves the old version
        verify(ops).checkInstance("staging", APP, "h1", "blue", "1.0.0", STEP_LOG);
        verify(ops).checkThroughLoadBalancer("staging", APP, Set.of("1.0.0"), STEP_LOG);
    }

    @Test
    void healthFailureInALaterBatchRestoresEveryTouchedHostInReverseOrder() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(5, "1.0.0"));
        when(ops.checkInstance("staging", APP, "h3", "blue", "1.1.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(vars("batchSize", 2));

        assertThat(pi).isEnded().hasPassed("End_RolledBack");
        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        // batches [h1,h2] [h3,h4] [h5]: batch 2 fails; h5 is never touched
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h4", "h3", "h2", "h1");
        InOrder o = inOrder(ops);
        for (String h : List.of("h4", "h3", "h2", "h1")) {
            o.verify(ops).drain("staging", APP, h, "blue", STEP_LOG);
            o.verify(ops).restore("staging", APP, h, "blue", "1.0.0", STEP_LOG);
            o.verify(ops).undrain("staging", APP, h, "blue", STEP_LOG);
        }
        verify(ops, times(4)).restore(any(), any(), any(), any(), any(), any());
        verify(ops, never()).activate(any(), any(), eq("h5"), any(), any(), any());
        verify(ops, never()).restore(any(), any(), eq("h5"), any(), any(), any());
        assertThat(ext.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi.getId())
                .activityId("Task_RestoreBatch").count()).isEqualTo(2);
    }

    @Test
    void failuresWithinMaxFailurePercentAreRevertedAndTheReleaseContinues() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(4, "1.0.0"));
        when(ops.checkInstance("staging", APP, "h2", "blue", "1.1.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(vars("maxFailurePercent", 25));

        assertThat(pi).isEnded().hasPassed("End_Succeeded").hasNotPassed("Task_RestoreBatch");
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(t.var(pi, "failureBudget")).isEqualTo(1);
        assertThat(t.hostList(pi, "failedHosts")).containsExactly("h2");
        assertThat(t.hostList(pi, "revertedHosts")).containsExactly("h2");
        verify(ops).restore("staging", APP, "h2", "blue", "1.0.0", STEP_LOG);
        verify(ops, times(1)).restore(any(), any(), any(), any(), any(), any());
        verify(ops).activate("staging", APP, "h4", "blue", "1.1.0", STEP_LOG);
        // the reverted host still serves the old version behind the LB; that is expected
        verify(ops).checkThroughLoadBalancer("staging", APP, Set.of("1.1.0", "1.0.0"), STEP_LOG);
    }

    @Test
    void failuresBeyondMaxFailurePercentRollBackEverythingButTheAlreadyRevertedHost() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(4, "1.0.0"));
        when(ops.checkInstance("staging", APP, "h2", "blue", "1.1.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));
        when(ops.checkInstance("staging", APP, "h4", "blue", "1.1.0", STEP_LOG))
                .thenReturn(HealthResult.failed("timeout"));

        ProcessInstance pi = run(vars("maxFailurePercent", 25));

        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat(t.hostList(pi, "failedHosts")).containsExactly("h2", "h4");
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h4", "h3", "h1");
        assertThat((String) t.var(pi, "rollbackReason")).contains("2 host(s) failed, budget 1 of 4");
        InOrder o = inOrder(ops);
        o.verify(ops).restore("staging", APP, "h2", "blue", "1.0.0", STEP_LOG); // within budget, by the gate
        o.verify(ops).restore("staging", APP, "h4", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).restore("staging", APP, "h3", "blue", "1.0.0", STEP_LOG);
        o.verify(ops).restore("staging", APP, "h1", "blue", "1.0.0", STEP_LOG);
        verify(ops, times(1)).restore(any(), any(), eq("h2"), any(), any(), any());
    }

    @Test
    void failureThroughTheLoadBalancerAfterTheLastBatchRollsBackAllBatches() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(2, "1.0.0"));
        when(ops.checkThroughLoadBalancer("staging", APP, Set.of("1.1.0"), STEP_LOG))
                .thenReturn(HealthResult.failed("LB answered 503"));

        ProcessInstance pi = run(vars());

        assertThat(pi).hasPassed("Task_VerifyRolloutThroughLb", "Event_CompensateRollout", "End_RolledBack");
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h2", "h1");
        assertThat((String) t.var(pi, "rollbackReason")).contains("load balancer").contains("503");
    }

    @Test
    void blueGreenFailureThroughTheLoadBalancerSwitchesBackAndRemovesTheNewColour() {
        FleetState before = rolling(3, "1.0.0");
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(before, colour(before, "blue"));
        when(ops.checkThroughLoadBalancer("staging", APP, Set.of("1.1.0"), STEP_LOG))
                .thenReturn(HealthResult.failed("503 from green"));

        ProcessInstance pi = run(vars("strategy", "blue-green"));

        assertThat(pi).isEnded().hasPassed("Task_SwitchBack", "Task_RestoreIdle", "Task_VerifyRollback",
                "End_RolledBack");
        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        InOrder o = inOrder(ops);
        o.verify(ops).switchColour("staging", APP, "green", STEP_LOG);
        o.verify(ops).switchColour("staging", APP, "blue", STEP_LOG); // switch back first: instant
        for (String h : List.of("h3", "h2", "h1")) {
            o.verify(ops).deregisterBackend("staging", APP, h, "green", STEP_LOG);
            o.verify(ops).removeInstance("staging", APP, h, "green", "1.1.0", STEP_LOG);
        }
        verify(ops, never()).removeInstance(any(), any(), any(), eq("blue"), any(), any());
        verify(ops, never()).restore(any(), any(), any(), any(), any(), any());
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h3", "h2", "h1");
    }

    @Test
    void blueGreenIdleFailureNeverSwitchesAndRestoresAnExistingIdleVersion() {
        FleetState before = colour(withInstance(rolling(2, "1.0.0"), "green", "0.9.0"), "blue");
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(before);
        when(ops.checkInstance("staging", APP, "h2", "green", "1.1.0", STEP_LOG))
                .thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(vars("strategy", "blue-green"));

        assertThat(pi).hasPassed("Task_RestoreIdle", "End_RolledBack").hasNotPassed("Task_SwitchTraffic",
                "Task_SwitchBack");
        verify(ops, never()).switchColour(any(), any(), any(), any()); // already pinned to blue, never switched
        InOrder o = inOrder(ops);
        o.verify(ops).restore("staging", APP, "h2", "green", "0.9.0", STEP_LOG);
        o.verify(ops).restore("staging", APP, "h1", "green", "0.9.0", STEP_LOG);
        verify(ops, never()).removeInstance(any(), any(), any(), any(), any(), any());
    }

    @Test
    void abortedCanaryLeavesNothingOfTheNewVersionRunning() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(3, "1.0.0"));
        when(ops.checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG)).thenReturn(
                HealthResult.ok("200", "1.1.0"), HealthResult.ok("200", "1.1.0"), HealthResult.failed("503 after 20s"));

        ProcessInstance pi = run(vars("strategy", "canary"));
        t.fireTimer(pi, "Event_CanaryBake");
        assertThat(pi).isWaitingAt("Event_CanaryBake");
        t.fireTimer(pi, "Event_CanaryBake");

        assertThat(pi).isEnded().hasPassed("Event_CanaryUnhealthy", "Task_RestoreBatch", "End_RolledBack");
        assertThat(t.var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) t.var(pi, "rollbackReason")).contains("canary aborted at bake check 2 of 3");
        verify(ops).restore("staging", APP, "h1", "blue", "1.0.0", STEP_LOG);
        verify(ops, times(1)).activate(any(), any(), any(), any(), any(), any());
        verify(ops, times(1)).restore(any(), any(), any(), any(), any(), any());
        assertThat(t.hostList(pi, "restoredHosts")).containsExactly("h1");
    }

    @Test
    void incompleteRollbackEndsFailedWithWhatIsWrong() {
        FleetState stuck = new FleetState(List.of("h1"), null,
                List.of(new InstanceState("h1", "blue", "1.1.0", true)));
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(1, "1.0.0"), stuck);
        when(ops.checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG)).thenReturn(HealthResult.failed("503"));

        ProcessInstance pi = run(vars());

        assertThat(pi).isEnded().hasPassed("Task_RestoreBatch", "End_RollbackIncomplete");
        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) t.var(pi, "failureReason")).contains("h1: serves 1.1.0, expected 1.0.0");
    }

    // ------------------------------------------------------------------------------------------------ refusals

    @Test
    void releaseOfAnApplicationThatIsNotDeployedFails() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(2, null));

        ProcessInstance pi = run(vars());

        assertThat(pi).isEnded().hasPassed("End_NotPossible");
        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) t.var(pi, "failureReason")).contains("not deployed").contains("deploy-application");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    @Test
    void failingCheckDiffFailsBeforeAnythingChanges() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(2, "1.0.0"));
        when(ops.dryRun(any(), any(), any(), anyList(), any()))
                .thenReturn(new CheckDiff(false, "h2: artifact webapp-9.9.9.tar.gz not found", "would FAIL: ...",
                        List.of()));

        ProcessInstance pi = run(vars("version", "9.9.9"));

        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) t.var(pi, "failureReason")).contains("release-activate.sh --check").contains("not found");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    @Test
    void invalidInputIsRefusedAndNothingStarts() {
        List<Object[]> bad = List.of(new Object[] {"batchSize", 0}, new Object[] {"strategy", "big-bang"},
                new Object[] {"maxFailurePercent", 101}, new Object[] {"maxFailurePercent", -1},
                new Object[] {"canaryBake", "PT0S"}, new Object[] {"canaryBake", "30 seconds"},
                new Object[] {"canaryBake", "P2D"}, new Object[] {"canaryChecks", 0},
                new Object[] {"version", "1.1.0; reboot"}, new Object[] {"application", "Web App"},
                new Object[] {"environment", "nowhere"});
        for (Object[] b : bad) {
            assertThatThrownBy(() -> t.start(KEY, vars(b[0], b[1]))).as("%s=%s", b[0], b[1])
                    .isInstanceOf(RunbookInputException.class).hasMessageContaining(b[0] + ":");
        }
        assertThatThrownBy(() -> t.start(KEY, vars("environment", "production")))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("reason: is required because environment production requires approval");
        assertThat(ext.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        verifyNoInteractions(ops);
    }

    @Test
    @Deployment(resources = {"release-version.bpmn", "release-version-approval.form",
            "deploy-application.bpmn", "deploy-application-approval.form"})
    void aSecondReleaseOrDeployOfTheSameApplicationIsRefusedWhileOneRuns() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(1, "1.0.0"));
        ProcessInstance first = t.start(KEY, vars());

        assertThatThrownBy(() -> t.start(KEY, vars("version", "1.2.0"))).isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("release:staging/webapp").hasMessageContaining(first.getId());
        assertThatThrownBy(() -> t.start(DeployApplicationRunbook.KEY, vars()))
                .isInstanceOf(RunbookLockedException.class).hasMessageContaining("release:staging/webapp");
        assertThat(t.start(KEY, vars("application", "api"))).isNotNull(); // another application: another lock
        assertThat(ext.getRuntimeService().createProcessInstanceQuery().processDefinitionKey(KEY).count())
                .isEqualTo(2);

        t.runJobs(first);
        assertThat(first).isEnded();
        assertThat(t.start(KEY, vars("version", "1.2.0"))).isNotNull();
    }

    @Test
    void defaultsAreAppliedAndRecorded() {
        when(ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(1, "1.0.0"));
        ProcessInstance pi = t.start(KEY, vars());
        assertThat(pi).variables().containsEntry("strategy", "rolling").containsEntry("batchSize", 1)
                .containsEntry("maxFailurePercent", 0).containsEntry("canaryBake", "PT30S")
                .containsEntry("canaryChecks", 3).containsEntry("runbookLock", "release:staging/webapp")
                .containsEntry("requiresApproval", false);
        verify(ops, never()).observe(anyString(), anyString(), any()); // evidence runs asynchronously, after the start
    }
}
