package io.opsflow.restart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.Incident;
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
import io.opsflow.scale.RunbookTestEnvironments;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

@Deployment(resources = {"restart-platform.bpmn", "restart-platform-approval.form"})
class RestartPlatformProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create();
    static final List<String> PROD = List.of("production-web-1", "production-web-2", "production-web-3");

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new RestartPlatformRunbook());

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final RestartOperations ops = mock(RestartOperations.class);

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        BpmnAwareTests.init(engine);
        StepLogs logs = new StepLogs(logDir.toString());
        when(ops.parallelism(any())).thenCallRealMethod(); // one host at a time unless a test says otherwise
        Mocks.register("restartPlan", new RestartPlanDelegate(ops, logs));
        Mocks.register("restartDrainBatch", new RestartDrainBatchDelegate(ops, logs));
        Mocks.register("restartHost", new RestartHostDelegate(ops, logs));
        Mocks.register("restartCheckBatch", new RestartCheckBatchDelegate(ops, logs));
        Mocks.register("restartHoldFailedBatch", new RestartHoldFailedBatchDelegate(ops, logs));
        Mocks.register("restartUndrainBatch", new RestartUndrainBatchDelegate(ops, logs));
        Approve.registerApprovalBlock();
        for (String env : List.of("staging", "production")) {
            List<RestartOperations.HostServices> inv = ENVS.get(env).hosts().stream()
                    .map(h -> new RestartOperations.HostServices(h.name(), List.of("application webapp/blue")))
                    .toList();
            when(ops.inventory(eq(env), anyBoolean(), any())).thenReturn(inv);
        }
        when(ops.restartHost(anyString(), anyString(), anyBoolean(), any())).thenAnswer(inv ->
                new RestartOperations.HostState(inv.getArgument(1), true, "webapp/blue healthy"));
        when(ops.probeHost(anyString(), anyString(), anyBoolean(), any())).thenAnswer(inv ->
                new RestartOperations.HostState(inv.getArgument(1), true, "webapp/blue healthy"));
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        engine.getIdentityService().clearAuthentication();
    }

    /** Starts as operator "alice" (the initiator, who may not approve her own run). */
    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        engine.getIdentityService().setAuthenticatedUserId("alice");
        try {
            return engine.getRuntimeService().startProcessInstanceByKey("restart-platform", vars);
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
    }

    /** Executes jobs until one fails; returns that job's id. */
    String runJobsUntilFailure(ProcessInstance pi) {
        for (int guard = 0; guard < 1000; guard++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                    .executable().list();
            if (jobs.isEmpty()) {
                throw new AssertionError("no job failed");
            }
            try {
                engine.getManagementService().executeJob(jobs.get(0).getId());
            } catch (RuntimeException e) {
                return jobs.get(0).getId();
            }
        }
        throw new AssertionError("jobs did not settle");
    }

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

    void approve(ProcessInstance pi, boolean approved, String comment) {
        Task task = engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey("Task_Approve").singleResult();
        Approve.as(engine, "bob", task.getId(), approved, comment);
    }

    @Test
    void rollingRestartTakesOneBatchAtATimeThroughDrainRestartCheckUndrain() {
        ProcessInstance pi = start("reason", "kernel update");
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("SubProcess_Batch", "Event_EndRestarted")
                .hasNotPassed("Task_Approve", "Task_RestartAll");
        InOrder order = inOrder(ops);
        for (String h : List.of("staging-web-1", "staging-web-2")) {
            order.verify(ops).drainHost(eq("staging"), eq(h), any());
            order.verify(ops).restartHost(eq("staging"), eq(h), eq(false), any());
            order.verify(ops).probeHost(eq("staging"), eq(h), eq(false), any());
            order.verify(ops).undrainHost(eq("staging"), eq(h), any());
        }
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "hostProgress")).isEqualTo("{\"staging-web-1\":\"done\",\"staging-web-2\":\"done\"}");
        assertThat((String) var(pi, "restartPlan")).contains("batch 1: staging-web-1").contains("batch 2: staging-web-2");
        // per-host progress in Cockpit: one activity instance per host, each with its local result
        assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi.getId())
                .activityId("Task_RestartHost").count()).isEqualTo(2);
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName("hostState").list()).extracting(v -> v.getValue()).containsOnly("restarted, healthy");
    }

    @Test
    void aRollingRestartOverAHundredHostsKeepsEveryVariableWithinWhatTheDatabaseHolds() {
        List<RestartOperations.HostServices> inv = ENVS.get("fleet").hosts().stream()
                .map(h -> new RestartOperations.HostServices(h.name(), List.of("application webapp/blue"))).toList();
        when(ops.inventory(eq("fleet"), anyBoolean(), any())).thenReturn(inv);

        ProcessInstance pi = start("environment", "fleet", "batchSize", 10, "reason", "kernel update");
        for (int round = 0; round < 20 && engine.getRuntimeService().createProcessInstanceQuery()
                .processInstanceId(pi.getId()).count() > 0; round++) {
            runJobs(pi);
        }

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRestarted");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, org.mockito.Mockito.times(100)).restartHost(eq("fleet"), anyString(), eq(false), any());
        assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi.getId())
                .activityId("Task_RestartHost").count()).isEqualTo(100);
        // a string variable holds at most 4,000 characters in the engine's text column; bigger documents are JSON values
        engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId()).list()
                .forEach(v -> {
                    if (v.getValue() instanceof String text) {
                        assertThat(text.length()).as(v.getName()).isLessThanOrEqualTo(4000);
                    }
                });
    }

    @Test
    void batchesOfTwoRestartTheirHostsInParallel() {
        ProcessInstance pi = start("environment", "production", "batchSize", 2, "reason", "patch");
        runJobs(pi);
        approve(pi, true, "go");
        runJobs(pi);
        assertThat(var(pi, "batchCount")).isEqualTo(2);
        assertThat(var(pi, "batches")).isEqualTo(List.of(PROD.subList(0, 2), PROD.subList(2, 3)));
        InOrder order = inOrder(ops);
        order.verify(ops).drainHost(eq("production"), eq(PROD.get(0)), any());
        order.verify(ops).drainHost(eq("production"), eq(PROD.get(1)), any());
        order.verify(ops).undrainHost(eq("production"), eq(PROD.get(1)), any());
        order.verify(ops).drainHost(eq("production"), eq(PROD.get(2)), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void theHostsOfABatchAreDrainedCheckedAndUndrainedAtOnceUpToTheEnvironmentsParallelism() throws Exception {
        when(ops.parallelism("production")).thenReturn(2);
        // in the first batch (two hosts) each call waits until both hosts are at the same point: one at a time would
        // wait in vain; the second batch has one host
        List<String> first = PROD.subList(0, 2);
        java.util.concurrent.CyclicBarrier draining = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CyclicBarrier probing = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CyclicBarrier undraining = new java.util.concurrent.CyclicBarrier(2);
        doAnswer(inv -> first.contains(inv.getArgument(1)) ? draining.await(20, java.util.concurrent.TimeUnit.SECONDS)
                : 0).when(ops).drainHost(eq("production"), anyString(), any());
        doAnswer(inv -> first.contains(inv.getArgument(1))
                ? undraining.await(20, java.util.concurrent.TimeUnit.SECONDS) : 0).when(ops)
                .undrainHost(eq("production"), anyString(), any());
        when(ops.probeHost(eq("production"), anyString(), anyBoolean(), any())).thenAnswer(inv -> {
            if (first.contains(inv.getArgument(1))) {
                probing.await(20, java.util.concurrent.TimeUnit.SECONDS);
            }
            return new RestartOperations.HostState(inv.getArgument(1), true, "webapp/blue healthy");
        });
        ProcessInstance pi = start("environment", "production", "batchSize", 2, "reason", "patch");
        runJobs(pi);
        approve(pi, true, "go");
        runJobs(pi);

        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "batchCount")).isEqualTo(2);
        PROD.forEach(h -> verify(ops).undrainHost(eq("production"), eq(h), any()));
    }

    @Test
    void eachHostsRestartIsAJobOfItsOwnSoARetryRestartsOnlyTheHostThatFailed() {
        // Task_RestartHost's instances are asynchronous and non-exclusive (on the loop characteristics: the task's own
        // async attributes apply to the multi-instance body), so the hosts of a batch restart in parallel jobs
        when(ops.restartHost(eq("production"), eq(PROD.get(1)), anyBoolean(), any()))
                .thenThrow(new IllegalStateException("ssh: connection reset"))
                .thenReturn(new RestartOperations.HostState(PROD.get(1), true, "webapp/blue healthy"));
        ProcessInstance pi = start("environment", "production", "batchSize", 2, "reason", "patch");
        runJobs(pi);
        approve(pi, true, "go");
        String failed = runJobsUntilFailure(pi);
        assertThat(engine.getManagementService().createJobQuery().jobId(failed).singleResult().getExceptionMessage())
                .contains(PROD.get(1)).contains("connection reset");

        engine.getManagementService().executeJob(failed); // the operator's retry: this host's job only
        runJobs(pi);

        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, times(1)).restartHost(eq("production"), eq(PROD.get(0)), anyBoolean(), any());
        verify(ops, times(2)).restartHost(eq("production"), eq(PROD.get(1)), anyBoolean(), any());
    }

    @Test
    void aFailingBatchStopsTheRunWithAnIncidentListingHostStatesAndOnlyThatBatchDrained() {
        doReturn(new RestartOperations.HostState(PROD.get(1), false, "webapp/blue: /health answered 503"))
                .when(ops).probeHost(eq("production"), eq(PROD.get(1)), anyBoolean(), any());
        ProcessInstance pi = start("environment", "production", "reason", "patch");
        runJobs(pi);
        approve(pi, true, "ok");
        String checkJob = runJobsUntilFailure(pi);
        for (int i = 0; i < 5 && engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId())
                .count() == 0; i++) {
            assertThatThrownBy(() -> engine.getManagementService().executeJob(checkJob))
                    .isInstanceOf(RestartBatchFailedException.class);
        }
        Incident incident = engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId())
                .singleResult();
        assertThat(incident.getActivityId()).isEqualTo("Task_HoldFailedBatch");
        assertThat(incident.getIncidentMessage())
                .contains("stopped at batch 2/3")
                .contains("production-web-1=done")
                .contains("production-web-2=FAILED: webapp/blue: /health answered 503")
                .contains("production-web-3=pending")
                .contains("This batch stays drained");

        // never more than one batch drained: batch 1 back in, batch 2 out, batch 3 never touched
        verify(ops).undrainHost(eq("production"), eq(PROD.get(0)), any());
        verify(ops, never()).undrainHost(eq("production"), eq(PROD.get(1)), any());
        verify(ops, never()).drainHost(eq("production"), eq(PROD.get(2)), any());
        verify(ops, never()).restartHost(eq("production"), eq(PROD.get(2)), anyBoolean(), any());
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "hostProgress")).isEqualTo(
                "{\"production-web-1\":\"done\",\"production-web-2\":\"FAILED: webapp/blue: /health answered 503\","
                        + "\"production-web-3\":\"pending\"}");
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "outcome")).isNull();

        // the operator fixes the host and retries: the check probes again and the run finishes
        doReturn(new RestartOperations.HostState(PROD.get(1), true, "healthy"))
                .when(ops).probeHost(eq("production"), eq(PROD.get(1)), anyBoolean(), any());
        engine.getManagementService().setJobRetries(checkJob, 1);
        engine.getManagementService().executeJob(checkJob);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded();
        verify(ops).drainHost(eq("production"), eq(PROD.get(2)), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void anUnreachableHostIsAnIncidentOnThatHostNamingTheBatch() {
        when(ops.restartHost(eq("staging"), eq("staging-web-1"), anyBoolean(), any()))
                .thenThrow(new IllegalStateException("ssh staging-web-1:22: connection refused"));
        ProcessInstance pi = start();
        String failed = runJobsUntilFailure(pi);
        assertThat(engine.getManagementService().createJobQuery().jobId(failed).singleResult().getExceptionMessage())
                .contains("restart of staging-web-1 in staging (batch 1/2) failed")
                .contains("connection refused").contains("batch stays drained");
        verify(ops, never()).drainHost(eq("staging"), eq("staging-web-2"), any());
    }

    @Test
    void emergencyRestartsEverythingAtOnceWithoutDrainOnlyAfterApproval() {
        ProcessInstance pi = start("mode", "emergency", "reason", "memory leak, all hosts swapping");
        runJobs(pi);
        // staging needs no approval for rolling restarts, but an emergency restart always does
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops, never()).restartHost(anyString(), anyString(), anyBoolean(), any());
        approve(pi, true, "go");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_RestartAll", "Task_CheckAll", "Event_EndEmergency")
                .hasNotPassed("SubProcess_Batch");
        verify(ops).restartHost(eq("staging"), eq("staging-web-1"), eq(false), any());
        verify(ops).restartHost(eq("staging"), eq("staging-web-2"), eq(false), any());
        verify(ops, never()).drainHost(anyString(), anyString(), any());
        verify(ops, never()).undrainHost(anyString(), anyString(), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "approvedBy")).isEqualTo("bob");
    }

    @Test
    void aRejectedEmergencyRestartTouchesNothing() {
        ProcessInstance pi = start("mode", "emergency", "reason", "panic");
        runJobs(pi);
        approve(pi, false, "use rolling");
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRejected");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("rejected by bob: use rolling");
        verify(ops, never()).restartHost(anyString(), anyString(), anyBoolean(), any());
    }

    @Test
    void theDatabaseIsRestartedOnlyWhenAsked() {
        ProcessInstance pi = start("includeDatabase", true);
        runJobs(pi);
        verify(ops).inventory(eq("staging"), eq(true), any());
        verify(ops).restartHost(eq("staging"), eq("staging-web-1"), eq(true), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void invalidStartsAreRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> start("batchSize", 2)).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("batchSize: must be smaller than the number of hosts (2)");
        assertThatThrownBy(() -> start("environment", "solo")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("can only be restarted with mode emergency");
        assertThatThrownBy(() -> start("mode", "emergency")).hasMessageContaining("reason: is required");
        assertThatThrownBy(() -> start("mode", "reboot-all")).hasMessageContaining("mode: must be one of");
        assertThatThrownBy(() -> start("batchSize", 0)).hasMessageContaining("batchSize: must be at least 1");
        assertThatThrownBy(() -> start("environment", "production")).hasMessageContaining("reason: is required");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        // a single-host environment can be restarted in emergency mode
        ProcessInstance solo = start("environment", "solo", "mode", "emergency", "reason", "r");
        BpmnAwareTests.assertThat(solo).isActive();
    }
}
