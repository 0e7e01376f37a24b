package io.opsflow.release;

import static io.opsflow.platform.notify.WebhookReceiver.event;
import static io.opsflow.release.ReleaseTestSupport.APP;
import static io.opsflow.release.ReleaseTestSupport.STEP_LOG;
import static io.opsflow.release.ReleaseTestSupport.rolling;
import static io.opsflow.release.ReleaseTestSupport.vars;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opsflow.platform.approval.ApprovalBlock;
import io.opsflow.platform.notify.NotificationsEnginePlugin;
import io.opsflow.platform.notify.NotificationsProperties;
import io.opsflow.platform.notify.Notifier;
import io.opsflow.platform.notify.RunNotifications;
import io.opsflow.platform.notify.WebhookReceiver;
import io.opsflow.platform.notify.WebhookReceiver.Received;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/**
 * Notifications of release-version runs, wired into the engine as in the application (the engine plugin, the
 * approval block's reminder and deadline), delivered to a real HTTP receiver by the webhook channel: approval
 * needed with the Tasklist link and the evidence the approval form shows, reminder, rejection, missed deadline,
 * incident, rollback, success; routes per environment; a failing or hanging webhook never holds a run; secrets are
 * references, never variables, never logged.
 */
@Deployment(resources = {"release-version.bpmn", "release-version-approval.form"})
@ExtendWith(OutputCaptureExtension.class)
class ReleaseNotificationsProcessTest {
    static final String KEY = "release-version";
    static final String AUTH_SECRET = "Bearer hook-s3cr3t-4711";
    static final WebhookReceiver RECEIVER = new WebhookReceiver();
    static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();
    static final Notifier NOTIFIER = new Notifier(props(), METERS, n -> List.of());
    static final RunNotifications NOTIFICATIONS = new RunNotifications(() -> NOTIFIER);

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(TestEngines.defaultEnvironments(),
            List.of(new NotificationsEnginePlugin(NOTIFICATIONS)), new ReleaseVersionRunbook(),
            new DeployApplicationRunbook());

    ReleaseTestSupport t;

    static NotificationsProperties props() {
        NotificationsProperties p = new NotificationsProperties();
        p.setPublicBaseUrl("https://opsflow.example.test/");
        p.setAttempts(3);
        p.setBackoff(Duration.ofMillis(20));
        p.setTimeout(Duration.ofSeconds(1));
        p.getWebhook().setUrl(RECEIVER.url("/hook"));
        p.getWebhook().setAuthorizationRef("file:" + secretFile(AUTH_SECRET));
        NotificationsProperties.Route prod = new NotificationsProperties.Route();
        prod.setWebhook(List.of("all"));
        NotificationsProperties.Route staging = new NotificationsProperties.Route();
        staging.setWebhook(List.of("failures"));
        p.getRoutes().put("production", prod);
        p.getRoutes().put("staging", staging);
        return p;
    }

    static Path secretFile(String value) {
        try {
            Path f = Files.createTempFile("hook-auth", ".secret");
            Files.writeString(f, value + "\n");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void setUp() {
        t = new ReleaseTestSupport(ext.getProcessEngine());
        ApprovalBlock.Reminder reminder = new ApprovalBlock.Reminder();
        reminder.setNotifications(NOTIFICATIONS);
        ApprovalBlock.Expired expired = new ApprovalBlock.Expired();
        expired.setNotifications(NOTIFICATIONS);
        Mocks.register("remindApprovers", reminder);
        Mocks.register("recordApprovalExpired", expired);
        RECEIVER.status(200);
        RECEIVER.clear();
    }

    @AfterEach
    void tearDown() {
        RECEIVER.release();
        t.close();
    }

    @AfterAll
    static void stop() {
        NOTIFIER.close();
        RECEIVER.close();
    }

    private ProcessInstance startProduction(String user) {
        when(t.ops.observe("production", APP, STEP_LOG)).thenReturn(rolling(2, "1.0.0"), rolling(2, "1.1.0"));
        ProcessInstance pi = t.startAs(user, KEY, vars("environment", "production", "reason", "CHG-42"));
        t.runJobs(pi);
        assertThat(pi).isWaitingAt("Task_Approve");
        return pi;
    }

    private Task approvalTask(ProcessInstance pi) {
        return ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).taskDefinitionKey("Task_Approve")
                .singleResult();
    }

    private static double count(String meter, String ev) {
        var c = METERS.find(meter).tag("channel", "webhook").tag("event", ev).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aProductionReleaseAsksItsApproversWithTheTasklistLinkAndTheEvidenceThenSaysItSucceeded() {
        ProcessInstance pi = startProduction("alice");
        Task task = approvalTask(pi);

        JsonNode asked = RECEIVER.await(event("approval-needed", pi.getId()), 1).get(0).body();
        assertThat(asked.path("link").asText())
                .isEqualTo("https://opsflow.example.test/camunda/app/tasklist/default/#/?task=" + task.getId());
        assertThat(asked.path("environment").asText()).isEqualTo("production");
        assertThat(asked.path("facts").path("approverGroup").asText()).isEqualTo("approvers");
        assertThat(asked.path("subject").asText()).contains("Approval needed").contains("release-version")
                .contains("production").contains("webapp 1.1.0");
        // the evidence as the approval form labels it, with the run's values
        assertThat(asked.path("text").asText()).contains("started by alice")
                .contains("Plan: hosts, versions, batches:").contains("Reason: CHG-42")
                .contains(String.valueOf(ext.getRuntimeService().getVariable(pi.getId(), "evidenceSummary")).strip());
        assertThat(RECEIVER.received().get(0).authorization()).isEqualTo(AUTH_SECRET);

        Approve.as(ext.getProcessEngine(), "bob", task.getId(), true, "go");
        t.runJobs(pi);

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        JsonNode done = RECEIVER.await(event("succeeded", pi.getId()), 1).get(0).body();
        assertThat(done.path("facts").path("outcome").asText()).isEqualTo("SUCCEEDED");
        assertThat(RECEIVER.received(event("approval-rejected", pi.getId()))).isEmpty();
    }

    @Test
    void aReminderGoesToTheApproversAndARejectionToTheInitiator() {
        ProcessInstance pi = startProduction("alice");
        String taskId = approvalTask(pi).getId();

        t.fireTimer(pi, "Event_ApprovalReminder");
        JsonNode reminder = RECEIVER.await(event("approval-reminder", pi.getId()), 1).get(0).body();
        assertThat(reminder.path("text").asText()).contains("Reminder #1");
        assertThat(reminder.path("link").asText()).endsWith("?task=" + taskId);

        Approve.as(ext.getProcessEngine(), "bob", taskId, false, "not during the sale");
        t.runJobs(pi);

        assertThat(t.var(pi, "outcome")).isEqualTo("REJECTED");
        JsonNode rejected = RECEIVER.await(event("approval-rejected", pi.getId()), 1).get(0).body();
        assertThat(rejected.path("text").asText()).contains("rejected by bob: not during the sale");
        assertThat(rejected.path("facts").path("initiator").asText()).isEqualTo("alice");
    }

    @Test
    void aDecisionTheEngineRefusesRollsBackAndSendsNothing() {
        ProcessInstance pi = startProduction("alice");
        RECEIVER.await(event("approval-needed", pi.getId()), 1);
        WebhookReceiver.waitFor(() -> NOTIFIER.pending() == 0, () -> "deliveries still running");
        double before = count(Notifier.SENT, "approval-rejected") + count(Notifier.FAILED, "approval-rejected");

        // the initiator's own rejection is refused by the four-eyes guard: its transaction rolls back
        assertThatThrownBy(() -> Approve.as(ext.getProcessEngine(), "alice", approvalTask(pi).getId(), false, "mine"))
                .hasMessageContaining("Four-eyes");

        // nothing was queued at a commit (there was none), so nothing can arrive later
        assertThat(NOTIFIER.pending()).isZero();
        assertThat(count(Notifier.SENT, "approval-rejected") + count(Notifier.FAILED, "approval-rejected"))
                .isEqualTo(before);
        assertThat(RECEIVER.received(event("approval-rejected", pi.getId()))).isEmpty();
        assertThat(pi).isWaitingAt("Task_Approve");
    }

    @Test
    void aMissedDeadlineIsSent() {
        ProcessInstance pi = startProduction("alice");

        t.fireTimer(pi, "Event_ApprovalDeadline");

        assertThat(t.var(pi, "outcome")).isEqualTo("REJECTED");
        JsonNode expired = RECEIVER.await(event("approval-expired", pi.getId()), 1).get(0).body();
        assertThat(expired.path("text").asText()).contains("was not approved before its deadline");
    }

    @Test
    void stagingSendsItsRollbackButNotItsSuccessAsRouted() {
        when(t.ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(1, "1.0.0"), rolling(1, "1.1.0"));
        double succeededBefore = count(Notifier.SENT, "succeeded");
        ProcessInstance ok = t.start(KEY, vars());
        t.runJobs(ok);
        assertThat(t.var(ok, "outcome")).isEqualTo("SUCCEEDED");
        // not routed: nothing was queued at the commit, so nothing can arrive later
        assertThat(NOTIFIER.pending()).isZero();
        assertThat(count(Notifier.SENT, "succeeded")).isEqualTo(succeededBefore);

        when(t.ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(1, "1.0.0"));
        when(t.ops.checkInstance("staging", APP, "h1", "blue", "1.1.0", STEP_LOG))
                .thenReturn(HealthResult.failed("503"));
        when(t.ops.checkThroughLoadBalancer("staging", APP, Set.of("1.0.0"), STEP_LOG))
                .thenReturn(HealthResult.ok("ok", "1.0.0"));
        ProcessInstance rolledBack = t.start(KEY, vars());
        t.runJobs(rolledBack);

        assertThat(t.var(rolledBack, "outcome")).isEqualTo("ROLLED_BACK");
        JsonNode sent = RECEIVER.await(event("rolled-back", rolledBack.getId()), 1).get(0).body();
        assertThat(sent.path("text").asText()).contains("ended ROLLED_BACK").contains("rollbackReason:");
        assertThat(RECEIVER.received(event("succeeded", ok.getId()))).isEmpty();
    }

    @Test
    void aRunThatEndsFailedIsSentWithItsReason() {
        when(t.ops.observe("staging", APP, STEP_LOG)).thenReturn(rolling(2, null));
        ProcessInstance pi = t.start(KEY, vars());
        t.runJobs(pi);

        assertThat(t.var(pi, "outcome")).isEqualTo("FAILED");
        JsonNode failed = RECEIVER.await(event("run-failed", pi.getId()), 1).get(0).body();
        assertThat(failed.path("subject").asText()).isEqualTo("[opsflow] Run failed: release-version in staging"
                + " (webapp 1.1.0)");
        assertThat(failed.path("text").asText()).contains("ended FAILED").contains("failureReason:")
                .contains("not deployed");
        assertThat(failed.path("link").asText()).isEqualTo("https://opsflow.example.test/api/runs/" + pi.getId()
                + "/logs");
    }

    @Test
    void anIncidentIsSentWithWhatFailed() {
        when(t.ops.observe("staging", APP, STEP_LOG)).thenThrow(new IllegalStateException("h1 unreachable"));
        ProcessInstance pi = t.start(KEY, vars());
        for (int i = 0; i < 3; i++) {
            Job job = ext.getManagementService().createJobQuery().processInstanceId(pi.getId()).withRetriesLeft()
                    .singleResult();
            assertThatThrownBy(() -> ext.getManagementService().executeJob(job.getId()))
                    .hasMessageContaining("h1 unreachable");
        }
        assertThat(ext.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).count()).isEqualTo(1);

        JsonNode incident = RECEIVER.await(event("incident", pi.getId()), 1).get(0).body();
        assertThat(incident.path("text").asText()).contains("Task_GatherEvidence").contains("h1 unreachable");
        assertThat(incident.path("link").asText()).contains("/camunda/app/cockpit/default/#/process-instance/"
                + pi.getId());
        ext.getRuntimeService().deleteProcessInstance(pi.getId(), "test done");
    }

    @Test
    void aWebhookAnswering500IsRetriedThenCountedAndTheRunStillCompletes() {
        RECEIVER.status(500);
        double failedBefore = count(Notifier.FAILED, "approval-needed");

        ProcessInstance pi = startProduction("alice");
        Approve.as(ext.getProcessEngine(), "bob", approvalTask(pi).getId(), true, "go");
        t.runJobs(pi);

        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");
        WebhookReceiver.waitFor(() -> count(Notifier.FAILED, "approval-needed") == failedBefore + 1,
                () -> "the failure counter did not move");
        assertThat(RECEIVER.received(event("approval-needed", pi.getId()))).as("attempts").hasSize(3);
    }

    @Test
    void aHangingWebhookNeverHoldsTheRun() {
        RECEIVER.hang();
        double failedBefore = count(Notifier.FAILED, "approval-needed");

        ProcessInstance pi = startProduction("alice");
        RECEIVER.await(event("approval-needed", pi.getId()), 1);
        // the receiver still holds that request, and the run goes on regardless
        Approve.as(ext.getProcessEngine(), "bob", approvalTask(pi).getId(), true, "go");
        t.runJobs(pi);
        assertThat(t.var(pi, "outcome")).isEqualTo("SUCCEEDED");

        WebhookReceiver.waitFor(() -> count(Notifier.FAILED, "approval-needed") == failedBefore + 1,
                () -> "the timed-out notification was not counted as failed");
        assertThat(RECEIVER.received(event("approval-needed", pi.getId()))).hasSize(3);
    }

    @Test
    void whereNotificationsGoIsConfigurationNeverAVariableAndSecretsStayOutOfVariablesAndLogs(CapturedOutput out) {
        WebhookReceiver other = new WebhookReceiver();
        try {
            // a start that names its own webhook is refused: undeclared variables are not inputs
            assertThatThrownBy(() -> t.startAs("alice", KEY, vars("environment", "production", "reason", "x",
                    "webhookUrl", other.url("/steal"))))
                    .isInstanceOf(RunbookInputException.class).hasMessageContaining("webhookUrl");

            ProcessInstance pi = startProduction("alice");
            // a variable set later (say, through the REST API) changes nothing either
            ext.getRuntimeService().setVariable(pi.getId(), "webhookUrl", other.url("/steal"));
            ext.getRuntimeService().setVariable(pi.getId(), "opsflow.notifications.webhook.url", other.url("/steal"));
            Approve.as(ext.getProcessEngine(), "bob", approvalTask(pi).getId(), true, "go");
            t.runJobs(pi);
            RECEIVER.await(event("succeeded", pi.getId()), 1);
            assertThat(other.received()).isEmpty();

            List<HistoricVariableInstance> vars = ext.getHistoryService().createHistoricVariableInstanceQuery()
                    .processInstanceId(pi.getId()).list();
            assertThat(vars).extracting(v -> String.valueOf(v.getValue())).noneMatch(v -> v.contains("s3cr3t"));
            assertThat(RECEIVER.received(event("succeeded", pi.getId())))
                    .extracting(Received::body).noneMatch(b -> b.toString().contains("s3cr3t"));
            assertThat(out.getAll()).doesNotContain("s3cr3t");
        } finally {
            other.close();
        }
    }

    @Test
    void theBodyIsOpsflowsJsonDocument() {
        ProcessInstance pi = startProduction("alice");
        JsonNode body = RECEIVER.await(event("approval-needed", pi.getId()), 1).get(0).body();
        assertThat(body.fieldNames()).toIterable().containsExactly("event", "runbook", "runId", "environment",
                "subject", "text", "link", "facts", "at");
        assertThat(Map.of("runbook", body.path("runbook").asText())).containsEntry("runbook", KEY);
    }
}
