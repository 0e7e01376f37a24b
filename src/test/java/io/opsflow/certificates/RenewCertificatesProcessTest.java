package io.opsflow.certificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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

/**
 * renew-certificates, every path: a valid certificate is left alone; one that expires within 30 days, lacks a
 * requested domain or does not chain is issued, tested, reloaded and verified, without approval; a forced re-issue in
 * production waits for a second person (approve, reject, deadline, reminder); every failing step stops with an
 * incident naming the edge and the reason, and nothing after it runs (the old certificate keeps serving); bad input,
 * forged approvals and a second run on the same edge are refused; the schedule starts a check per environment.
 */
@Deployment(resources = {"renew-certificates.bpmn",
        "renew-certificates-approval.form"})
class RenewCertificatesProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create();
    static final CertificatesProperties PROPS = props();
    static final List<String> STAGING_DOMAINS = List.of("staging.opsflow.test", "www.staging.opsflow.test");

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new RenewCertificatesRunbook(PROPS));

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final CertificateOperations ops = mock(CertificateOperations.class);

    static CertificatesProperties props() {
        CertificatesProperties p = new CertificatesProperties();
        p.setVerifyTimeout(Duration.ofMillis(300));
        for (String env : List.of("staging", "production")) {
            CertificatesProperties.Edge e = new CertificatesProperties.Edge();
            e.setZone(env.equals("staging") ? "staging.opsflow.test" : "opsflow.test");
            e.setPort(env.equals("staging") ? 18443 : 18444);
            e.setDomains(env.equals("staging") ? STAGING_DOMAINS : List.of("opsflow.test"));
            e.setDir(Path.of("/nonexistent/edge", env));
            e.setAcmeServer("https://127.0.0.1:14100/dir");
            e.setTrustBundle(Path.of("/nonexistent/roots.pem"));
            p.getEnvironments().put(env, e);
        }
        return p;
    }

    static CertificateOperations.ServedCertificate cert(String serial, Duration left, List<String> names) {
        return new CertificateOperations.ServedCertificate(serial, names, Instant.now().plus(left),
                "CN=Pebble Intermediate CA", null);
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
        when(ops.edge("staging")).thenReturn(new CertificateOperations.Edge("staging", "127.0.0.1:18443",
                STAGING_DOMAINS));
        when(ops.edge("production")).thenReturn(new CertificateOperations.Edge("production", "127.0.0.1:18444",
                List.of("opsflow.test")));
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        engine.getIdentityService().clearAuthentication();
    }

    /** The edge serves {@code before} until the reload, then {@code after}. */
    void serves(String env, CertificateOperations.ServedCertificate before,
                CertificateOperations.ServedCertificate after) {
        when(ops.served(eq(env), anyString(), any())).thenReturn(before, after);
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging"));
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

    void runJobs(ProcessInstance pi) {
        for (int guard = 0; guard < 50; guard++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                    .executable().list();
            if (jobs.isEmpty()) {
                return;
            }
            engine.getManagementService().executeJob(jobs.get(0).getId());
        }
        throw new AssertionError("jobs did not settle");
    }

    /** Runs jobs until one fails, then exhausts its retries; returns the incident. */
    Incident runUntilIncident(ProcessInstance pi) {
        for (int guard = 0; guard < 50; guard++) {
            Incident incident = engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId())
                    .singleResult();
            if (incident != null) {
                return incident;
            }
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).list();
            if (jobs.isEmpty()) {
                throw new AssertionError("the run ended without an incident");
            }
            try {
                engine.getManagementService().executeJob(jobs.get(0).getId());
            } catch (RuntimeException expected) {
                // retried until the incident
            }
        }
        throw new AssertionError("no incident");
    }

    Object var(ProcessInstance pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    Task approvalTask(ProcessInstance pi) {
        return engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey("Task_Approve").singleResult();
    }

    @Test
    void aCertificateValidForMoreThanThirtyDaysIsLeftAlone() {
        serves("staging", cert("aa01", Duration.ofDays(60), STAGING_DOMAINS), null);
        ProcessInstance pi = start();
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_InspectCertificate", "Event_EndCertificateValid")
                .hasNotPassed("Task_Approve", "Task_ObtainCertificate", "Task_ReloadNginx");
        verify(ops, never()).obtain(anyString(), any(), any());
        verify(ops, never()).reload(anyString(), any());
        assertThat(var(pi, "renewalNeeded")).isEqualTo(false);
        assertThat(var(pi, "certificateRenewed")).isEqualTo(false);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) var(pi, "certificatePlan")).contains("serial aa01").contains("Nothing to do");
    }

    @Test
    void aCertificateBelowThirtyDaysIsRenewedTestedReloadedAndVerifiedWithoutApproval() {
        serves("production", cert("bb01", Duration.ofDays(12).plusMinutes(5), List.of("opsflow.test")),
                cert("bb02", Duration.ofDays(90), List.of("opsflow.test")));
        ProcessInstance pi = start("environment", "production");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_ObtainCertificate", "Task_ReloadNginx",
                "Task_VerifyServedCertificate", "Event_EndRenewed").hasNotPassed("Task_Approve");
        InOrder order = inOrder(ops);
        order.verify(ops).served(eq("production"), eq("opsflow.test"), any());
        order.verify(ops).obtain(eq("production"), eq(List.of("opsflow.test")), any());
        order.verify(ops).reload(eq("production"), any());
        order.verify(ops).served(eq("production"), eq("opsflow.test"), any());
        assertThat((String) var(pi, "certificatePlan")).contains("expires in 12d").contains("less than 30d.");
        assertThat(var(pi, "newSerial")).isEqualTo("bb02");
        assertThat(var(pi, "certificateRenewed")).isEqualTo(true);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void aNewDomainIsAddedToTheCertificateKeepingTheServedOnes() {
        List<String> all = List.of("staging.opsflow.test", "www.staging.opsflow.test", "api.staging.opsflow.test");
        serves("staging", cert("cc01", Duration.ofDays(80), STAGING_DOMAINS), cert("cc02", Duration.ofDays(90), all));
        ProcessInstance pi = start("domains", " api.staging.opsflow.test , www.staging.opsflow.test");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed");
        verify(ops).obtain(eq("staging"), eq(all), any());
        assertThat((String) var(pi, "certificatePlan")).contains("does not cover [api.staging.opsflow.test]");
    }

    @Test
    void aServedChainThatDoesNotLeadToATrustedRootIsRenewed() {
        serves("staging", new CertificateOperations.ServedCertificate("dd01", STAGING_DOMAINS,
                Instant.now().plus(Duration.ofDays(70)), "CN=old CA", "the served chain does not lead to a root"),
                cert("dd02", Duration.ofDays(90), STAGING_DOMAINS));
        ProcessInstance pi = start();
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed");
    }

    @Test
    void aForcedReissueOnStagingNeedsNoApproval() {
        serves("staging", cert("ee01", Duration.ofDays(80), STAGING_DOMAINS),
                cert("ee02", Duration.ofDays(90), STAGING_DOMAINS));
        ProcessInstance pi = start("force", true);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRenewed").hasNotPassed("Task_Approve");
        assertThat((String) var(pi, "certificatePlan")).contains("forced re-issue");
    }

    @Test
    void aForcedReissueInProductionWaitsForASecondPersonThenRenews() {
        serves("production", cert("ff01", Duration.ofDays(80), List.of("opsflow.test")),
                cert("ff02", Duration.ofDays(90), List.of("opsflow.test")));
        ProcessInstance pi = start("environment", "production", "force", true, "reason", "key compromise drill");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops, never()).obtain(anyString(), any(), any());
        Task task = approvalTask(pi);
        assertThatThrownBy(() -> Approve.as(engine, "alice", task.getId(), true, "me"))
                .as("the initiator may not approve her own forced re-issue").hasMessageContaining("Four-eyes");
        Approve.as(engine, "bob", task.getId(), true, "go");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_Approve", "Event_EndRenewed");
        verify(ops).obtain(eq("production"), eq(List.of("opsflow.test")), any());
    }

    @Test
    void aRejectedForcedReissueChangesNothing() {
        serves("production", cert("gg01", Duration.ofDays(80), List.of("opsflow.test")), null);
        ProcessInstance pi = start("environment", "production", "force", true, "reason", "drill");
        runJobs(pi);
        Approve.as(engine, "bob", approvalTask(pi).getId(), false, "not today");
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRejected");
        verify(ops, never()).obtain(anyString(), any(), any());
        verify(ops, never()).reload(anyString(), any());
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("rejected by bob: not today");
    }

    @Test
    void anApprovalRemindsThenRunsOutAtItsDeadline() {
        serves("production", cert("hh01", Duration.ofDays(80), List.of("opsflow.test")), null);
        ProcessInstance pi = start("environment", "production", "force", true, "reason", "drill");
        runJobs(pi);
        Job reminder = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                .activityId("Event_ApprovalReminder").singleResult();
        engine.getManagementService().executeJob(reminder.getId());
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "remindersSent")).isEqualTo(1);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        Job deadline = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                .activityId("Event_ApprovalDeadline").singleResult();
        engine.getManagementService().executeJob(deadline.getId());
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndDeadline");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        verify(ops, never()).obtain(anyString(), any(), any());
    }

    @Test
    void aCertbotFailureIsAnIncidentNamingTheEdgeAndNothingIsReloaded() {
        serves("staging", cert("ii01", Duration.ofDays(5), STAGING_DOMAINS), null);
        doThrow(new IllegalStateException("staging edge 127.0.0.1:18443: certbot could not issue a certificate for "
                + "[staging.opsflow.test] (exit 1): urn:ietf:params:acme:error:rateLimited"))
                .when(ops).obtain(eq("staging"), any(), any());
        ProcessInstance pi = start();
        Incident incident = runUntilIncident(pi);
        assertThat(incident.getActivityId()).isEqualTo("Task_ObtainCertificate");
        assertThat(incident.getIncidentMessage()).contains("staging edge 127.0.0.1:18443").contains("rateLimited");
        verify(ops, never()).reload(anyString(), any());
    }

    @Test
    void aFailingNginxConfigTestIsAnIncidentAtTheReload() {
        serves("staging", cert("jj01", Duration.ofDays(5), STAGING_DOMAINS), null);
        doThrow(new IllegalStateException("staging edge 127.0.0.1:18443: nginx -t failed, not reloaded (the old "
                + "certificate keeps serving): cannot load certificate")).when(ops).reload(eq("staging"), any());
        ProcessInstance pi = start();
        Incident incident = runUntilIncident(pi);
        assertThat(incident.getActivityId()).isEqualTo("Task_ReloadNginx");
        assertThat(incident.getIncidentMessage()).contains("nginx -t failed").contains("127.0.0.1:18443");
        BpmnAwareTests.assertThat(pi).hasNotPassed("Task_VerifyServedCertificate");
    }

    @Test
    void anEdgeThatStillServesTheOldCertificateAfterTheReloadIsAnIncident() {
        CertificateOperations.ServedCertificate old = cert("kk01", Duration.ofDays(5), STAGING_DOMAINS);
        when(ops.served(eq("staging"), anyString(), any())).thenReturn(old);
        ProcessInstance pi = start();
        Incident incident = runUntilIncident(pi);
        assertThat(incident.getActivityId()).isEqualTo("Task_VerifyServedCertificate");
        assertThat(incident.getIncidentMessage()).contains("staging edge 127.0.0.1:18443")
                .contains("still serves the old certificate (serial kk01)");
    }

    @Test
    void aNewCertificateThatDoesNotChainIsAnIncident() {
        serves("staging", cert("ll01", Duration.ofDays(5), STAGING_DOMAINS),
                new CertificateOperations.ServedCertificate("ll02", STAGING_DOMAINS,
                        Instant.now().plus(Duration.ofDays(90)), "CN=someone", "no path to a trusted root"));
        ProcessInstance pi = start();
        Incident incident = runUntilIncident(pi);
        assertThat(incident.getIncidentMessage()).contains("serves serial ll02 but no path to a trusted root");
    }

    @Test
    void badInputIsRefusedAndStartsNothing() {
        assertThatThrownBy(() -> start("domains", "evil.example.org"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("not in staging's zone");
        assertThatThrownBy(() -> start("domains", "a.staging.opsflow.test; rm -rf /"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("domains: must be DNS names");
        assertThatThrownBy(() -> start("domains", "-x.staging.opsflow.test"))
                .isInstanceOf(RunbookInputException.class);
        assertThatThrownBy(() -> start("environment", "solo"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("has no TLS edge");
        assertThatThrownBy(() -> start("environment", "production", "force", true))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("reason: is required");
        assertThatThrownBy(() -> start("environment", "production", "force", true, "reason", "x", "approved", true))
                .as("an approval cannot be passed at the start").isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("approved");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }

    @Test
    void aForcedProductionReissueCannotBeStartedPastItsApproval() {
        Map<String, Object> forced = Map.of("environment", "production", "force", true, "reason", "drill");
        engine.getIdentityService().setAuthentication("mallory", List.of("operators"));
        try {
            assertThatThrownBy(() -> engine.getRuntimeService().createProcessInstanceByKey(
                    RenewCertificatesRunbook.PROCESS_KEY).setVariables(forced)
                    .startBeforeActivity("Task_ObtainCertificate").execute())
                    .isInstanceOf(io.opsflow.platform.approval.RunPathForbiddenException.class);
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
        engine.getIdentityService().setAuthentication("admin", List.of("camunda-admin"));
        ProcessInstance pi;
        try {
            pi = engine.getRuntimeService().createProcessInstanceByKey(RenewCertificatesRunbook.PROCESS_KEY)
                    .setVariables(forced).startBeforeActivity("Task_ObtainCertificate").execute();
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
        Incident incident = runUntilIncident(pi);
        assertThat(incident.getActivityId()).isEqualTo("Task_ObtainCertificate");
        assertThat(incident.getIncidentMessage()).contains("Refused to run step 'Task_ObtainCertificate'");
        verify(ops, never()).obtain(anyString(), any(), any());
        verify(ops, never()).reload(anyString(), any());
    }

    @Test
    void oneCertificateRunPerEnvironmentAtATime() {
        serves("production", cert("mm01", Duration.ofDays(80), List.of("opsflow.test")), null);
        ProcessInstance first = start("environment", "production", "force", true, "reason", "drill");
        assertThatThrownBy(() -> start("environment", "production"))
                .hasMessageContaining(RenewCertificatesRunbook.lockName("production"));
        ProcessInstance other = start("environment", "staging");
        assertThat(other.getId()).isNotEqualTo(first.getId());
        engine.getRuntimeService().deleteProcessInstance(first.getId(), "test");
        engine.getRuntimeService().deleteProcessInstance(other.getId(), "test");
    }

    @Test
    void theScheduleStartsACheckOfEachEnvironmentEveryTwelveHours() {
        CertificateCheckSchedule schedule = new CertificateCheckSchedule(PROPS, null);
        schedule.validate();
        String deployment = schedule.deploy(engine.getRepositoryService()).getId();
        try {
            Job timer = engine.getManagementService().createJobQuery()
                    .processDefinitionKey(CertificateCheckSchedule.KEY_PREFIX + "staging").timers().singleResult();
            assertThat(timer).as("a timer per environment").isNotNull();
            assertThat(Duration.between(Instant.now(), timer.getDuedate().toInstant())).isLessThanOrEqualTo(
                    Duration.ofHours(12));
            serves("staging", cert("nn01", Duration.ofDays(60), STAGING_DOMAINS), null);
            engine.getManagementService().executeJob(timer.getId());
            Job call = engine.getManagementService().createJobQuery()
                    .processDefinitionKey(CertificateCheckSchedule.KEY_PREFIX + "staging").messages().singleResult();
            engine.getManagementService().executeJob(call.getId());
            ProcessInstance check = engine.getRuntimeService().createProcessInstanceQuery()
                    .processDefinitionKey(RenewCertificatesRunbook.PROCESS_KEY).singleResult();
            runJobs(check);
            BpmnAwareTests.assertThat(check).isEnded().hasPassed("Event_EndCertificateValid");
            assertThat(var(check, "reason")).isEqualTo("scheduled check (0 0 */12 * * *)");
            assertThat(schedule.deploy(engine.getRepositoryService()))
                    .as("an unchanged configuration deploys nothing new").isNull();
        } finally {
            engine.getRepositoryService().deleteDeployment(deployment, true);
        }
    }

    @Test
    void aFiveFieldCronIsRefusedAtStartup() {
        CertificatesProperties p = new CertificatesProperties();
        p.setCheckCron("0 */12 * * *");
        assertThatThrownBy(() -> new CertificateCheckSchedule(p, null).validate())
                .hasMessageContaining("opsflow.certificates.check-cron").hasMessageContaining("6 fields");
    }
}
