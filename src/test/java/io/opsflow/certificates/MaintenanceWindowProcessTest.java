package io.opsflow.certificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.util.ClockUtil;
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

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/**
 * Approve now, run later — the maintenance window gate every host-changing runbook draws after its approval, told
 * with renew-certificates: both environments open a window every day at 22:00 UTC for two hours; production needs a
 * second person's approval, no older than twelve hours when the window opens. A run gathers its evidence and gets its
 * approval at once, then waits at {@code Timer_MaintenanceWindow} (Cockpit shows {@code windowOpensAt}) and touches
 * nothing until the window opens; a requested {@code runAt} inside a window is honoured, one outside every window is
 * refused at the start; a stale approval is asked for again; and a run moved past the gate by any API acts in no
 * window (the ActionGuard refuses its first acting step).
 */
@Deployment(resources = {"renew-certificates.bpmn", "renew-certificates-approval.form"})
class MaintenanceWindowProcessTest {
    static final Environments ENVS = windowedEnvironments();
    static final CertificatesProperties PROPS = RenewCertificatesProcessTest.props();
    static final Instant NOON = Instant.parse("2026-12-08T12:00:00Z");
    static final Instant WINDOW = Instant.parse("2026-12-08T22:00:00Z");

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new RenewCertificatesRunbook(PROPS));

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final CertificateOperations ops = mock(CertificateOperations.class);

    static Environments windowedEnvironments() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        for (String env : List.of("staging", "production")) {
            EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
            s.setRequiresApproval(env.equals("production"));
            s.setApprovalReminder(Duration.ofMinutes(30));
            s.setApprovalDeadline(Duration.ofHours(2));
            EnvironmentsProperties.WindowSpec w = new EnvironmentsProperties.WindowSpec();
            w.setCron("0 0 22 * * *");
            w.setDuration(Duration.ofHours(2));
            s.getMaintenanceWindows().add(w);
            s.setApprovalMaxAge(Duration.ofHours(12));
            p.getEnvironments().put(env, s);
        }
        return new Environments(p);
    }

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        BpmnAwareTests.init(engine);
        StepLogs logs = new StepLogs(logDir.toString());
        Mocks.register("certificatesInspect", new CertificatesInspectDelegate(ops, logs, PROPS));
        Mocks.register("certificatesObtain", new CertificatesObtainDelegate(ops, logs, PROPS));
        Mocks.register("certificatesReload", new CertificatesReloadDelegate(ops, logs, PROPS));
        Mocks.register("certificatesVerify", new CertificatesVerifyDelegate(ops, logs, PROPS));
        Approve.registerApprovalBlock();
        for (String env : List.of("staging", "production")) {
            when(ops.edge(env)).thenReturn(new CertificateOperations.Edge(env, "127.0.0.1:1844" + env.length(),
                    PROPS.getEnvironments().get(env).getDomains()));
            when(ops.served(eq(env), anyString(), any())).thenReturn(
                    RenewCertificatesProcessTest.cert("aa01", Duration.ofDays(80),
                            PROPS.getEnvironments().get(env).getDomains()),
                    RenewCertificatesProcessTest.cert("aa02", Duration.ofDays(90),
                            PROPS.getEnvironments().get(env).getDomains()));
        }
        clock(NOON);
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        ClockUtil.reset();
        engine.getIdentityService().clearAuthentication();
    }

    static void clock(Instant at) {
        ClockUtil.setCurrentTime(Date.from(at));
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "production", "force", true,
                "reason", "key rotation"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        engine.getIdentityService().setAuthenticatedUserId("alice");
        try {
            return engine.getRuntimeService().startProcessInstanceByKey(RenewCertificatesRunbook.PROCESS_KEY, vars);
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
    }

    void runDueJobs(ProcessInstance pi) {
        TestEngines.runJobs(engine, pi.getId());
    }

    Task approvalTask(ProcessInstance pi) {
        return engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey("Task_Approve").singleResult();
    }

    Object var(ProcessInstance pi, String name) {
        return engine.getRuntimeService().getVariable(pi.getId(), name);
    }

    Job windowTimer(ProcessInstance pi) {
        return engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                .activityId("Timer_MaintenanceWindow").singleResult();
    }

    @Test
    void approvedAtNoonTheRunWaitsForTheWindowTouchingNothingThenRenewsWhenItOpens() {
        ProcessInstance pi = start();
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        Approve.as(engine, "bob", approvalTask(pi).getId(), true, "go tonight");
        runDueJobs(pi);

        BpmnAwareTests.assertThat(pi).isWaitingAt("Timer_MaintenanceWindow");
        assertThat(var(pi, "windowOpensAt")).as("what Cockpit shows: when the run will go").isEqualTo(WINDOW.toString());
        assertThat(windowTimer(pi).getDuedate().toInstant()).isEqualTo(WINDOW);
        verify(ops, never()).obtain(anyString(), any(), any());
        verify(ops, never()).reload(anyString(), any());

        clock(WINDOW.plusSeconds(5));
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Timer_MaintenanceWindow", "Gateway_ApprovalFresh",
                "Event_EndRenewed");
        verify(ops).obtain(eq("production"), any(), any());
    }

    @Test
    void insideTheWindowAnApprovedRunGoesAtOnce() {
        clock(WINDOW.plus(Duration.ofMinutes(30)));
        ProcessInstance pi = start();
        runDueJobs(pi);
        Approve.as(engine, "bob", approvalTask(pi).getId(), true, "go");
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Gateway_MaintenanceWindow", "Event_EndRenewed")
                .hasNotPassed("Timer_MaintenanceWindow");
    }

    @Test
    void aRunWithoutApprovalWaitsForTheWindowToo() {
        ProcessInstance pi = start("environment", "staging");
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Timer_MaintenanceWindow").hasNotPassed("Task_Approve");
        clock(WINDOW);
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed");
    }

    @Test
    void aRequestedTimeInsideAWindowIsTheMomentTheRunGoes() {
        Instant at = Instant.parse("2026-12-08T23:15:00Z");
        ProcessInstance pi = start("runAt", "2026-12-09T00:15:00+01:00");
        runDueJobs(pi);
        assertThat(engine.getTaskService().getVariable(approvalTask(pi).getId(), "runAt"))
                .as("the approver sees when it will run").isEqualTo("2026-12-09T00:15:00+01:00");
        Approve.as(engine, "bob", approvalTask(pi).getId(), true, "ok for 23:15");
        clock(WINDOW.plusSeconds(60)); // the window is open, but 23:15 was asked for
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Timer_MaintenanceWindow");
        assertThat(var(pi, "windowOpensAt")).isEqualTo(at.toString());
        verify(ops, never()).obtain(anyString(), any(), any());

        clock(at);
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed");
    }

    @Test
    void aRequestedTimeOutsideEveryWindowInThePastOrNoTimeAtAllIsRefusedAtTheStartAndNothingIsKept() {
        assertThatThrownBy(() -> start("runAt", "2026-12-08T15:00:00Z"))
                .isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("runAt: 2026-12-08T15:00:00Z is outside every maintenance window of production")
                .hasMessageContaining("the next one opens at 2026-12-08T22:00:00Z");
        assertThatThrownBy(() -> start("runAt", "2026-12-07T22:30:00Z"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("has passed");
        assertThatThrownBy(() -> start("runAt", "tonight"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> start("runAt", "2027-06-30T22:30:00Z"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("more than 90 days ahead");
        assertThatThrownBy(() -> start("windowOpensAt", "2026-12-08T12:00:00Z"))
                .as("when the run goes is computed, never passed in").isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("windowOpensAt");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }

    @Test
    void anApprovalOlderThanTheMaximumWhenTheWindowOpensIsAskedForAgain() {
        ProcessInstance pi = start();
        runDueJobs(pi);
        Approve.as(engine, "bob", approvalTask(pi).getId(), true, "tonight");
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Timer_MaintenanceWindow");

        clock(WINDOW.plus(Duration.ofDays(1))); // the job executor was down a day: 34 hours after the approval
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve").hasPassed("Gateway_AskApproval");
        assertThat(var(pi, "approvalFresh")).isEqualTo(false);
        verify(ops, never()).obtain(anyString(), any(), any());

        Approve.as(engine, "carol", approvalTask(pi).getId(), true, "still fine");
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed");
        verify(ops, times(1)).obtain(eq("production"), any(), any());
    }

    @Test
    void aRunMovedPastTheGateByAnAdministratorActsInNoWindow() {
        ProcessInstance pi = start();
        runDueJobs(pi);
        Approve.as(engine, "bob", approvalTask(pi).getId(), true, "tonight");
        runDueJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Timer_MaintenanceWindow");

        engine.getIdentityService().setAuthentication("admin", List.of("camunda-admin"));
        try {
            engine.getRuntimeService().createProcessInstanceModification(pi.getId())
                    .cancelAllForActivity("Timer_MaintenanceWindow").startBeforeActivity("Task_ObtainCertificate")
                    .execute();
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
        Incident incident = TestEngines.runUntilIncident(engine, pi.getId());
        assertThat(incident.getActivityId()).isEqualTo("Task_ObtainCertificate");
        assertThat(incident.getIncidentMessage()).contains("Refused to run step 'Task_ObtainCertificate'")
                .contains("has not passed its window gate");
        verify(ops, never()).obtain(anyString(), any(), any());
    }

    @Test
    void aRunStartedPastTheGateInAnEnvironmentWithoutApprovalActsInNoWindow() {
        engine.getIdentityService().setAuthentication("admin", List.of("camunda-admin"));
        ProcessInstance pi;
        try {
            pi = engine.getRuntimeService().createProcessInstanceByKey(RenewCertificatesRunbook.PROCESS_KEY)
                    .setVariables(Map.of("environment", "staging", "force", true, "reason", "drill"))
                    .startBeforeActivity("Task_ObtainCertificate").execute();
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
        Incident incident = TestEngines.runUntilIncident(engine, pi.getId());
        assertThat(incident.getIncidentMessage()).contains("environment staging has maintenance windows")
                .contains("has not passed its window gate");
        verify(ops, never()).obtain(anyString(), any(), any());
    }
}
