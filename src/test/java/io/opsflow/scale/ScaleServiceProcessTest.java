package io.opsflow.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

@Deployment(resources = {"scale-service.bpmn", "scale-service-approval.form"})
class ScaleServiceProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create();

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new ScaleServiceRunbook());

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final ScaleOperations ops = mock(ScaleOperations.class);
    final ScaleProperties props = new ScaleProperties();

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        BpmnAwareTests.init(engine);
        StepLogs logs = new StepLogs(logDir.toString());
        Mocks.register("scaleCheckCooldown", new ScaleCheckCooldownDelegate(props));
        Mocks.register("scaleInspect", new ScaleInspectDelegate(ops, ENVS, props, logs));
        Mocks.register("scaleAddInstance", new ScaleAddInstanceDelegate(ops, logs));
        Mocks.register("scaleRemoveInstance", new ScaleRemoveInstanceDelegate(ops, logs));
        Mocks.register("scaleVerifyDistribution", new ScaleVerifyDistributionDelegate(ops, logs));
        Mocks.register("scaleUndoAdd", new ScaleUndoAddDelegate(ops, logs));
        Mocks.register("scaleUndoRemove", new ScaleUndoRemoveDelegate(ops, logs));
        Approve.registerApprovalBlock();
        when(ops.addInstance(anyString(), anyString(), any(), anyString(), any(), any()))
                .thenReturn(new ScaleOperations.AddResult(true, "healthy"));
        when(ops.verifyDistribution(anyString(), anyString(), any(), any(), any()))
                .thenAnswer(inv -> {
                    Map<String, Integer> answered = new HashMap<>();
                    for (String s : inv.<Set<String>>getArgument(2)) {
                        answered.put(s, 3);
                    }
                    return new ScaleOperations.Distribution(true, 20, 0, answered, "ok");
                });
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        ClockUtil.reset();
        engine.getIdentityService().clearAuthentication();
    }

    // ---------------------------------------------------------------- fixtures

    static AppInstance inst(String host, String name) {
        return new AppInstance(host, name, host + "-" + name, "http://127.0.0.1:1/" + name, "blue", "active", true);
    }

    void pool(String env, AppInstance... instances) {
        when(ops.inspect(eq(env), eq("webapp"), any()))
                .thenReturn(new ScaleOperations.PoolState(List.of(instances), "1.1.0", "blue"));
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "application", "webapp"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return engine.getRuntimeService().startProcessInstanceByKey("scale-service", vars);
    }

    /** A start by the scale-requested message, as the Alertmanager webhook (or anyone correlating it) starts runs. */
    ProcessInstance alert(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "application", "webapp",
                "metric", "HighCpu"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return engine.getRuntimeService().createMessageCorrelation(ScaleServiceRunbook.MESSAGE).setVariables(vars)
                .correlateStartMessage();
    }

    long runs() {
        return engine.getHistoryService().createHistoricProcessInstanceQuery().count();
    }

    /** A first scale of staging/webapp (2 → 3) that ends at t0: the cooldown runs until t0 + 10 minutes. */
    ProcessInstance scaledAt(Date t0) {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ClockUtil.setCurrentTime(t0);
        ProcessInstance first = start("instances", 3);
        runJobs(first);
        assertThat(var(first, "outcome")).isEqualTo("SUCCEEDED");
        return first;
    }

    void at(Date t0, int minutesLater) {
        ClockUtil.setCurrentTime(new Date(t0.getTime() + Duration.ofMinutes(minutesLater).toMillis()));
    }

    /** Executes every due job of the run (retries off: a failing job fails the test) until it waits or ends. */
    void runJobs(ProcessInstance pi) {
        for (int guard = 0; guard < 1000; guard++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                    .executable().list();
            if (jobs.isEmpty()) {
                return;
            }
            engine.getManagementService().executeJob(jobs.get(0).getId());
        }
        throw new AssertionError("jobs did not settle");
    }

    Object var(ProcessInstance pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    Task approvalTask(ProcessInstance pi) {
        return engine.getTaskService().createTaskQuery().processInstanceId(pi.getId()).taskDefinitionKey("Task_Approve")
                .initializeFormKeys().singleResult();
    }

    // ---------------------------------------------------------------- scale up / down

    @Test
    void scaleUpStartsNewInstancesOnHostsWithRoomAndVerifiesEveryNewInstanceThroughTheLoadBalancer() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ProcessInstance pi = start("instances", 4, "reason", "traffic peak");
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassedInOrder("Task_Inspect", "Task_AddInstances",
                "Task_VerifyDistribution", "Event_EndScaled").hasNotPassed("Task_Approve");
        InOrder order = inOrder(ops);
        order.verify(ops).addInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")),
                eq("1.1.0"), eq("blue"), any());
        order.verify(ops).addInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-2", "i2")),
                eq("1.1.0"), eq("blue"), any());
        order.verify(ops).verifyDistribution(eq("staging"), eq("webapp"), eq(Set.of("i1", "i2")), eq(Set.of()), any());
        verify(ops, never()).removeInstance(anyString(), anyString(), any(), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "previousCount")).isEqualTo(2);
        assertThat(var(pi, "targetCount")).isEqualTo(4);
        assertThat(var(pi, "scaledAt")).isNotNull();
        assertThat((String) var(pi, "scalePlan")).contains("2 -> 4").contains("+ start i1 on staging-web-1");
    }

    @Test
    void eachPlacementIsAJobOfItsOwnSoARetryDoesNotRepeatTheInstancesAlreadyAdded() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        Placement second = new Placement("staging-web-2", "i2");
        when(ops.addInstance(eq("staging"), eq("webapp"), eq(second), anyString(), any(), any()))
                .thenThrow(new IllegalStateException("ssh staging-web-2: connection reset"))
                .thenReturn(new ScaleOperations.AddResult(true, "healthy"));
        ProcessInstance pi = start("instances", 4, "reason", "traffic peak");
        String failed = null;
        for (int i = 0; i < 20 && failed == null; i++) {
            Job next = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).executable()
                    .list().get(0);
            try {
                engine.getManagementService().executeJob(next.getId());
            } catch (IllegalStateException e) {
                failed = next.getId();
            }
        }
        assertThat(failed).as("the second placement's job failed").isNotNull();

        engine.getManagementService().executeJob(failed); // the retry: that placement only
        runJobs(pi);

        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, org.mockito.Mockito.times(1)).addInstance(eq("staging"), eq("webapp"),
                eq(new Placement("staging-web-1", "i1")), anyString(), any(), any());
        verify(ops, org.mockito.Mockito.times(2)).addInstance(eq("staging"), eq("webapp"), eq(second), anyString(),
                any(), any());
    }

    @Test
    void aScaleAcrossAHundredHostsKeepsEveryVariableWithinWhatTheDatabaseHolds() {
        List<AppInstance> blue = new java.util.ArrayList<>();
        ENVS.get("fleet").hosts().forEach(h -> blue.add(inst(h.name(), "blue")));
        when(ops.inspect(eq("fleet"), eq("webapp"), any()))
                .thenReturn(new ScaleOperations.PoolState(blue.subList(0, 1), "1.1.0", "blue"))
                .thenReturn(new ScaleOperations.PoolState(blue, "1.1.0", "blue"));
        ProcessInstance up = start("environment", "fleet", "instances", 99, "reason", "launch day");
        runJobs(up);
        assertThat(var(up, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, org.mockito.Mockito.times(98)).addInstance(eq("fleet"), eq("webapp"), any(), eq("1.1.0"),
                eq("blue"), any());

        // and down again from a pool of 100 instances: the pool before the scale is a document over 4,000 characters
        ProcessInstance down = start("environment", "fleet", "instances", 50, "reason", "after launch day");
        runJobs(down);
        assertThat(var(down, "previousCount")).isEqualTo(100);
        for (ProcessInstance pi : List.of(up, down)) {
            engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId()).list()
                    .forEach(v -> {
                        if (v.getValue() instanceof String text) {
                            assertThat(text.length()).as(v.getName()).isLessThanOrEqualTo(4000);
                        }
                    });
        }
    }

    @Test
    void scaleDownDrainsAndRemovesScaleInstancesFirstAndChecksTheyNoLongerAnswer() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"), inst("staging-web-1", "i1"),
                inst("staging-web-2", "i2"));
        ProcessInstance pi = start("instances", 2);
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassedInOrder("Task_Inspect", "Task_RemoveInstances",
                "Task_VerifyDistribution", "Event_EndScaled");
        InOrder order = inOrder(ops);
        order.verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-2", "i2")), any());
        order.verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), any());
        order.verify(ops).verifyDistribution(eq("staging"), eq("webapp"), eq(Set.of()), eq(Set.of("i1", "i2")), any());
        verify(ops, never()).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void atTargetAlreadyEndsSucceededWithoutTouchingAnything() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ProcessInstance pi = start("instances", 2);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndNoChange");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, never()).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
        verify(ops, never()).removeInstance(anyString(), anyString(), any(), any());
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName("scaledAt").count()).isZero();
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void aTargetBelowOneIsRefusedByValidationAndNothingIsPersisted() {
        assertThatThrownBy(() -> start("instances", 0)).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("instances: must be at least 1");
        assertThatThrownBy(() -> start("instances", -3)).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("instances:");
        assertThatThrownBy(() -> start()).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("instances: a target instance count is required");
        assertThatThrownBy(() -> start("instances", 3, "delta", 1)).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> start("delta", 0)).hasMessageContaining("delta: must not be 0");
        assertThatThrownBy(() -> start("instances", "4")).hasMessageContaining("instances: must be an integer");
        assertThatThrownBy(() -> start("application", "web;reboot", "instances", 2))
                .hasMessageContaining("application:");
        assertThatThrownBy(() -> start("environment", "production", "instances", 2))
                .hasMessageContaining("reason: is required");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        verify(ops, never()).inspect(anyString(), anyString(), any());
    }

    @Test
    void aDeltaThatWouldLeaveNoInstanceIsRejectedWithTheReasonAndChangesNothing() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ProcessInstance pi = alert("delta", -2, "metric", "LowTraffic");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRefused");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat((String) var(pi, "rejectionReason")).contains("at least 1 instance must keep serving");
        verify(ops, never()).removeInstance(anyString(), anyString(), any(), any());
    }

    @Test
    void scalingPastTheFleetsCapacityIsRefusedClearly() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ProcessInstance pi = start("instances", 5);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRefused");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat((String) var(pi, "rejectionReason")).contains("exceed the capacity of 2 host(s) x 2 per host = 4")
                .contains("provision-infrastructure");
        verify(ops, never()).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
    }

    @Test
    void aNewInstanceNeverTakesAPortAnotherInstanceHoldsOnItsHost() {
        // webapp i1 on staging-web-1 would listen on 9121; an instance of another application holds it there
        when(ops.inspect(eq("staging"), eq("webapp"), any())).thenReturn(new ScaleOperations.PoolState(
                List.of(inst("staging-web-1", "blue"), inst("staging-web-2", "blue")), "1.1.0", "blue",
                Map.of("staging-web-1", Map.of(9100, "webapp/blue", 9121, "reports/i1"))));
        ProcessInstance pi = start("instances", 3);
        runJobs(pi);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "addPlacements")).asList().containsExactly("staging-web-1/i2");
        verify(ops).addInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i2")), eq("1.1.0"),
                any(), any());
    }

    @Test
    void mixedVersionsInThePoolAreRefused() {
        when(ops.inspect(eq("staging"), eq("webapp"), any())).thenReturn(new ScaleOperations.PoolState(
                List.of(inst("staging-web-1", "blue"), inst("staging-web-2", "blue")), null, "blue"));
        ProcessInstance pi = start("instances", 3);
        runJobs(pi);
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat((String) var(pi, "rejectionReason")).contains("do not serve one version");
    }

    // ---------------------------------------------------------------- cooldown

    @Test
    void aManualScaleRightAfterAnotherRunsWithoutWaitingForTheCooldown() {
        Date t0 = new Date();
        scaledAt(t0);

        at(t0, 5);
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"), inst("staging-web-1", "i1"));
        ProcessInstance again = start("instances", 2, "reason", "back to normal");
        runJobs(again);
        BpmnAwareTests.assertThat(again).isEnded().hasPassed("Gateway_HonourCooldown", "Task_Inspect",
                "Task_RemoveInstances", "Event_EndScaled").hasNotPassed("Task_CheckCooldown", "Event_EndCooldown");
        assertThat(var(again, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(again, "honourCooldown")).isEqualTo(false);
        assertThat(var(again, "trigger")).isEqualTo("manual");
        verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), any());
    }

    @Test
    void aManualScaleThatAsksToWaitIsRejectedInsideTheCooldownNamingThePreviousRunAndUntilWhen() {
        Date t0 = new Date();
        ProcessInstance first = scaledAt(t0);
        java.time.Instant firstEnded = engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processInstanceId(first.getId()).singleResult().getEndTime().toInstant();

        at(t0, 5);
        ProcessInstance waits = start("instances", 4, "honourCooldown", true);
        runJobs(waits);
        BpmnAwareTests.assertThat(waits).isEnded().hasPassed("Task_CheckCooldown", "Event_EndCooldown")
                .hasNotPassed("Task_Inspect");
        assertThat(var(waits, "outcome")).isEqualTo("REJECTED");
        assertThat((String) var(waits, "rejectionReason")).isEqualTo("cooldown: staging/webapp was scaled by run "
                + first.getId() + " (ended " + firstEnded + "); no further scale before "
                + firstEnded.plus(Duration.ofMinutes(10)) + " (opsflow.scale.cooldown=PT10M)");
        assertThat(var(waits, "cooldownUntil")).isEqualTo(firstEnded.plus(Duration.ofMinutes(10)).toString());
        verify(ops, times(1)).inspect(anyString(), anyString(), any());

        // after the cooldown the same request scales
        at(t0, 11);
        ProcessInstance later = start("instances", 4, "honourCooldown", true);
        runJobs(later);
        BpmnAwareTests.assertThat(later).isEnded().hasPassed("Task_CheckCooldown", "Task_Inspect", "Event_EndScaled");
    }

    @Test
    void anAlertInsideTheCooldownIsRejectedEvenAfterAManualScaleAndAllowedAgainAfterIt() {
        Date t0 = new Date();
        ProcessInstance manual = scaledAt(t0); // a manual scale starts the cooldown for alerts as well

        at(t0, 5);
        ProcessInstance second = alert("delta", 1);
        runJobs(second);
        BpmnAwareTests.assertThat(second).isEnded().hasPassed("StartEvent_Alert", "Task_CheckCooldown",
                "Event_EndCooldown").hasNotPassed("Gateway_HonourCooldown", "Task_Inspect");
        assertThat(var(second, "outcome")).isEqualTo("REJECTED");
        assertThat(var(second, "trigger")).isEqualTo("alert");
        assertThat(var(second, "honourCooldown")).as("what the run did, not what anyone asked").isEqualTo(true);
        assertThat((String) var(second, "rejectionReason")).startsWith("cooldown: staging/webapp was scaled by run "
                + manual.getId()).contains("no further scale before").contains("opsflow.scale.cooldown=PT10M");
        verify(ops, times(1)).inspect(anyString(), anyString(), any());

        at(t0, 11);
        ProcessInstance third = alert("delta", 1);
        runJobs(third);
        BpmnAwareTests.assertThat(third).hasPassed("Task_CheckCooldown", "Task_Inspect");
    }

    @Test
    void anAlertCannotSwitchTheCooldownOffNorPoseAsAManualStart() {
        Date t0 = new Date();
        scaledAt(t0);
        at(t0, 5);
        long before = runs();

        assertThatThrownBy(() -> alert("delta", 1, "honourCooldown", false))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("honourCooldown: is for manual starts only; a run started by the "
                        + "scale-requested message (alerts) always waits for the cooldown");
        assertThatThrownBy(() -> alert("delta", 1, "ignoreCooldown", true))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("ignoreCooldown: is no longer an input of runbook 'scale-service'");
        assertThatThrownBy(() -> alert("delta", 1, "trigger", "manual"))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("trigger: is 'alert' for a run started by the scale-requested message");
        assertThat(runs()).as("nothing started, nothing persisted").isEqualTo(before);
        verify(ops, times(1)).inspect(anyString(), anyString(), any());
    }

    @Test
    void theRetiredIgnoreCooldownAndAForgedTriggerAreRefusedOnAManualStartPointingToHonourCooldown() {
        assertThatThrownBy(() -> start("instances", 3, "ignoreCooldown", true))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("ignoreCooldown: is no longer an input of runbook 'scale-service': a manual "
                        + "scale does not wait for the cooldown unless it passes honourCooldown=true");
        assertThatThrownBy(() -> start("instances", 3, "ignoreCooldown", false))
                .hasMessageContaining("ignoreCooldown: is no longer an input");
        assertThatThrownBy(() -> start("instances", 3, "trigger", "alert"))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("trigger: is 'manual' for a run started by hand");
        assertThatThrownBy(() -> start("instances", 3, "honourCooldown", "yes"))
                .hasMessageContaining("honourCooldown: must be true or false");
        assertThat(runs()).isZero();
        verify(ops, never()).inspect(anyString(), anyString(), any());
    }

    @Test
    void aRejectedOrNoOpRunDoesNotStartACooldown() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        runJobs(start("instances", 2)); // no change
        runJobs(start("instances", 5)); // refused: capacity
        ProcessInstance pi = start("instances", 3, "honourCooldown", true);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).hasPassed("Task_CheckCooldown");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    // ---------------------------------------------------------------- compensation

    @Test
    void aNewInstanceThatStaysUnhealthyIsCompensatedBackToThePreviousCount() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        when(ops.addInstance(anyString(), anyString(), eq(new Placement("staging-web-1", "i1")), anyString(), any(),
                any())).thenReturn(new ScaleOperations.AddResult(false, "health /health answered 503 for 30s"));
        ProcessInstance pi = start("instances", 4);
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_VerifyFailed", "Task_UndoAdd", "Event_EndRolledBack")
                .hasNotPassed("Event_EndScaled");
        // the multi-instance stops at the first unhealthy instance: i2 is never started
        verify(ops, never()).addInstance(anyString(), anyString(), eq(new Placement("staging-web-2", "i2")),
                anyString(), any(), any());
        verify(ops, never()).verifyDistribution(anyString(), anyString(), any(), any(), any());
        // compensation removes exactly what this run added (also the unhealthy one), nothing else
        verify(ops, times(1)).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")),
                any());
        verify(ops, times(1)).removeInstance(anyString(), anyString(), any(), any());
        assertThat(var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) var(pi, "failureReason")).contains("i1 on staging-web-1 did not become healthy")
                .contains("503");
    }

    @Test
    void whenTheLoadBalancerDoesNotReachANewInstanceTheScaleIsCompensated() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        doReturn(new ScaleOperations.Distribution(false, 200, 0, Map.of("blue", 120, "i1", 80),
                "i2 never answered in 200 requests")).when(ops).verifyDistribution(anyString(), anyString(), any(),
                any(), any());
        ProcessInstance pi = start("instances", 4);
        runJobs(pi);

        verify(ops, times(2)).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
        verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), any());
        verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-2", "i2")), any());
        verify(ops, times(2)).removeInstance(anyString(), anyString(), any(), any());
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_UndoAdd", "Event_EndRolledBack");
        assertThat(var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) var(pi, "failureReason")).contains("i2 never answered");
        assertThat((String) var(pi, "distribution")).contains("\"i1\":80");
    }

    @Test
    void aScaleDownThatBreaksTheServiceIsCompensatedByReaddingTheInstances() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"), inst("staging-web-1", "i1"));
        doReturn(new ScaleOperations.Distribution(false, 50, 7, Map.of("blue", 43), "7 of 50 requests failed"))
                .when(ops).verifyDistribution(anyString(), anyString(), any(), any(), any());
        ProcessInstance pi = start("instances", 2);
        runJobs(pi);
        verify(ops).removeInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), any());
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_UndoRemove", "Event_EndRolledBack")
                .hasNotPassed("Task_UndoAdd");
        verify(ops).addInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), eq("1.1.0"),
                eq("blue"), any());
        assertThat(var(pi, "outcome")).isEqualTo("ROLLED_BACK");
    }

    @Test
    void aTechnicalFailureIsAnIncidentNotAnOutcome() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        when(ops.addInstance(anyString(), anyString(), any(), anyString(), any(), any()))
                .thenThrow(new IllegalStateException("ssh staging-web-1: connection refused"));
        ProcessInstance pi = start("instances", 3);
        Job inspect = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
        engine.getManagementService().executeJob(inspect.getId());
        // the multi-instance body's job, then the first placement's own job (each placement is a job of its own)
        assertThatThrownBy(() -> {
            for (int i = 0; i < 3; i++) {
                Job next = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                        .singleResult();
                engine.getManagementService().executeJob(next.getId());
            }
        }).hasMessageContaining("connection refused");
        BpmnAwareTests.assertThat(pi).isActive();
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "outcome")).isNull();
    }

    // ---------------------------------------------------------------- approval (production)

    @Test
    void productionWaitsForAnotherPersonsApprovalThenScales() {
        pool("production", inst("production-web-1", "blue"), inst("production-web-2", "blue"),
                inst("production-web-3", "blue"));
        engine.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start("environment", "production", "instances", 4, "reason", "campaign");
        engine.getIdentityService().clearAuthentication();
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops, never()).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
        Task task = approvalTask(pi);
        assertThat(task.getCamundaFormRef().getKey()).isEqualTo("scale-service-approval");
        assertThat(engine.getTaskService().createTaskQuery().taskId(task.getId()).taskCandidateGroup("approvers")
                .count()).isEqualTo(1);

        // refused even though alice is authenticated as a member of the approver group
        assertThatThrownBy(() -> Approve.as(engine, "alice", task.getId(), true, null))
                .hasMessageContaining("Four-eyes");
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        Approve.as(engine, "bob", task.getId(), true, "ok");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndScaled");
        verify(ops).addInstance(eq("production"), eq("webapp"), eq(new Placement("production-web-1", "i1")),
                eq("1.1.0"), eq("blue"), any());
        assertThat(var(pi, "approvedBy")).isEqualTo("bob");
    }

    @Test
    void aRejectedScaleEndsRejectedWithTheApproversComment() {
        pool("production", inst("production-web-1", "blue"), inst("production-web-2", "blue"));
        ProcessInstance pi = start("environment", "production", "instances", 3, "reason", "campaign");
        runJobs(pi);
        Approve.as(engine, "bob", approvalTask(pi).getId(), false, "not during the freeze");
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRejected");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("rejected by bob: not during the freeze");
        verify(ops, never()).addInstance(anyString(), anyString(), any(), anyString(), any(), any());
    }

    @Test
    void theReminderFiresOnceAndTheDeadlineRejects() {
        pool("production", inst("production-web-1", "blue"), inst("production-web-2", "blue"));
        ProcessInstance pi = start("environment", "production", "instances", 3, "reason", "campaign");
        runJobs(pi);
        Job reminder = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                .activityId("Event_ApprovalReminder").singleResult();
        engine.getManagementService().executeJob(reminder.getId());
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "remindersSent")).isEqualTo(1);

        Job deadline = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                .activityId("Event_ApprovalDeadline").singleResult();
        engine.getManagementService().executeJob(deadline.getId());
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndDeadline");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("approval deadline passed");
    }

    // ---------------------------------------------------------------- message start

    @Test
    void theScaleRequestedMessageStartsARunWithADelta() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "application", "webapp",
                "delta", 1, "metric", "HighCpu: cpu > 70% for 5m", "trigger", "alert"));
        ProcessInstance pi = engine.getRuntimeService().createMessageCorrelation(ScaleServiceRunbook.MESSAGE)
                .setVariables(vars).correlateStartMessage();
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("StartEvent_Alert", "Task_CheckCooldown", "Event_EndScaled");
        verify(ops).addInstance(eq("staging"), eq("webapp"), eq(new Placement("staging-web-1", "i1")), eq("1.1.0"),
                eq("blue"), any());
        assertThat(var(pi, "targetCount")).isEqualTo(3);

        Map<String, Object> bad = new HashMap<>(vars);
        bad.put("application", "$(reboot)");
        assertThatThrownBy(() -> engine.getRuntimeService().createMessageCorrelation(ScaleServiceRunbook.MESSAGE)
                .setVariables(bad).correlateStartMessage()).isInstanceOf(RunbookInputException.class);
    }

    @Test
    void aSecondRunOnTheSameApplicationIsLockedOut() {
        pool("staging", inst("staging-web-1", "blue"), inst("staging-web-2", "blue"));
        ProcessInstance first = start("instances", 3);
        assertThatThrownBy(() -> start("instances", 4)).hasMessageContaining("release:staging/webapp")
                .hasMessageContaining(first.getId());
        List<String> ids = new ArrayList<>();
        engine.getRuntimeService().createProcessInstanceQuery().list().forEach(p -> ids.add(p.getId()));
        assertThat(ids).containsExactly(first.getId());
    }
}
