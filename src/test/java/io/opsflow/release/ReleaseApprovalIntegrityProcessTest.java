package io.opsflow.release;

import static io.opsflow.release.ReleaseTestSupport.STEP_LOG;
import static io.opsflow.release.ReleaseTestSupport.APP;
import static io.opsflow.release.ReleaseTestSupport.rolling;
import static io.opsflow.release.ReleaseTestSupport.vars;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.opsflow.platform.approval.ApprovalDocument;
import io.opsflow.platform.approval.ApprovalRefusedException;
import io.opsflow.platform.approval.FourEyesGuard.FourEyesViolationException;
import io.opsflow.platform.approval.RunPathForbiddenException;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.TestEngines;

/**
 * The approval of a production release, as an attacker would try it, on the engine itself (every API ends here):
 * each way past the sign-off is refused, nothing is acted on, and the refusal says why. Next to each misuse, the use
 * that still works.
 */
@Deployment(resources = {"release-version.bpmn", "release-version-approval.form"})
class ReleaseApprovalIntegrityProcessTest {
    static final String KEY = "release-version";

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(TestEngines.defaultEnvironments(),
            new ReleaseVersionRunbook(), new DeployApplicationRunbook());

    ReleaseTestSupport t;
    ReleaseOperations ops;
    ProcessEngine engine;

    @BeforeEach
    void setUp() {
        t = new ReleaseTestSupport(ext.getProcessEngine());
        ops = t.ops;
        engine = ext.getProcessEngine();
        when(ops.observe("production", APP, STEP_LOG)).thenReturn(rolling(2, "1.0.0"), rolling(2, "1.1.0"));
    }

    @AfterEach
    void tearDown() {
        t.close();
    }

    private <T> T as(String user, List<String> groups, java.util.function.Supplier<T> action) {
        engine.getIdentityService().setAuthentication(user, groups);
        try {
            return action.get();
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
    }

    private void as(String user, List<String> groups, Runnable action) {
        as(user, groups, () -> {
            action.run();
            return null;
        });
    }

    private ProcessInstance requestProduction(String initiator) {
        ProcessInstance pi = as(initiator, List.of("approvers", "operators"), () -> engine.getRuntimeService()
                .startProcessInstanceByKey(KEY, vars("environment", "production", "reason", "CHG-42")));
        t.runJobs(pi);
        assertThat(pi).isWaitingAt("Task_Approve");
        return pi;
    }

    private Task approval(ProcessInstance pi) {
        return engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey("Task_Approve").singleResult();
    }

    private long runs() {
        return engine.getHistoryService().createHistoricProcessInstanceQuery().processDefinitionKey(KEY).count();
    }

    /** Executes the run's jobs; a failing job is left as it is (its incident is what the test looks at). */
    private void runJobsTolerating(ProcessInstance pi) {
        for (int i = 0; i < 200; i++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).messages()
                    .withRetriesLeft().list();
            if (jobs.isEmpty()) {
                return;
            }
            t.tick(1000);
            try {
                engine.getManagementService().executeJob(jobs.get(0).getId());
            } catch (RuntimeException expected) {
                // the job's failure is recorded on the job by the engine
            }
        }
    }

    private List<Incident> incidents(ProcessInstance pi) {
        return engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).list();
    }

    private JdbcTemplate db() {
        var cfg = (org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl) engine
                .getProcessEngineConfiguration();
        return new JdbcTemplate(cfg.getDataSource());
    }

    private Map<String, Object> record(ProcessInstance pi) {
        return db().queryForMap("SELECT * FROM OPSFLOW_APPROVAL WHERE PROC_INST_ID_ = ?", pi.getId());
    }

    // -------------------------------------------------------------------------------- 1. start past the approval

    @Test
    void aStartPlacedPastTheApprovalIsRefusedForNonAdministratorsAndNothingIsPersisted() {
        long before = runs();
        for (String placement : List.of("before", "after", "transition")) {
            assertThatThrownBy(() -> as("mallory", List.of("operators"), () -> {
                var b = engine.getRuntimeService().createProcessInstanceByKey(KEY)
                        .setVariables(vars("environment", "production", "reason", "CHG-42"));
                switch (placement) {
                    case "before" -> b.startBeforeActivity("Gateway_ApprovalDone");
                    case "after" -> b.startAfterActivity("Gateway_ApprovalDone");
                    default -> b.startTransition("Flow_Approved");
                }
                b.execute();
            })).as(placement).isInstanceOf(RunPathForbiddenException.class)
                    .hasMessageContaining("start at their start event only");
        }
        assertThat(runs()).isEqualTo(before);
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    @Test
    void anAdministratorMayPlaceARunButItsFirstActingStepRefusesWithoutAnApprovalAndChangesNothing() {
        ProcessInstance pi = as("admin", List.of("camunda-admin"), () -> engine.getRuntimeService()
                .createProcessInstanceByKey(KEY).setVariables(vars("environment", "production", "reason", "CHG-42",
                        "strategy", "blue-green")).startBeforeActivity("Task_DeployIdle").execute());
        runJobsTolerating(pi);

        List<Incident> incidents = incidents(pi);
        assertThat(incidents).singleElement().satisfies(i -> {
            assertThat(i.getActivityId()).isEqualTo("Task_DeployIdle");
            assertThat(i.getIncidentMessage()).contains("Refused to run step 'Task_DeployIdle'")
                    .contains("no approval record").contains("Nothing was changed");
        });
        Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
        assertThat(job.getRetries()).as("a refusal is not retried").isZero();
        verify(ops, never()).installRelease(any(), any(), any(), any(), any(), any());
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
        assertThat(db().queryForList("SELECT PATH_ FROM OPSFLOW_REFUSAL WHERE PROC_INST_ID_ = ?", String.class,
                pi.getId())).contains("action");
    }

    // ----------------------------------------------------------------------- 2. forged initiator, 4. owned vars

    @Test
    void aStartCannotNameItsInitiatorNorPassApprovalsPlansOrOutcomes() {
        long before = runs();
        assertThatThrownBy(() -> as("alice", List.of("approvers"), () -> engine.getRuntimeService()
                .startProcessInstanceByKey(KEY, vars("environment", "production", "reason", "CHG-42",
                        "initiator", "bob")))).isInstanceOf(RunbookInputException.class)
                .satisfies(e -> assertThat(((RunbookInputException) e).errors())
                        .containsExactly("initiator: is set by opsflow from the authenticated user, never by the "
                                + "caller"));
        assertThatThrownBy(() -> as("alice", List.of("approvers"), () -> engine.getRuntimeService()
                .startProcessInstanceByKey(KEY, vars("environment", "production", "reason", "CHG-42",
                        "approved", true, "approvedBy", "bob", "outcome", "SUCCEEDED", "releasePlan", "[]"))))
                .isInstanceOf(RunbookInputException.class)
                .satisfies(e -> assertThat(((RunbookInputException) e).errors()).hasSize(4)
                        .anyMatch(m -> m.startsWith("approved: is not an input of runbook 'release-version'"))
                        .anyMatch(m -> m.startsWith("approvedBy: "))
                        .anyMatch(m -> m.startsWith("outcome: "))
                        .anyMatch(m -> m.startsWith("releasePlan: ")));
        assertThat(runs()).isEqualTo(before);
    }

    @Test
    void theInitiatorIsTheAuthenticatedUserAndCannotDecideTheApprovalEvenAsAnApprover() {
        ProcessInstance pi = requestProduction("alice");
        assertThat(t.var(pi, "initiator")).isEqualTo("alice");
        assertThat(engine.getTaskService().getVariable(approval(pi).getId(), "requestedBy")).isEqualTo("alice");
        assertThatThrownBy(() -> as("alice", List.of("approvers"), () -> engine.getTaskService()
                .complete(approval(pi).getId(), Map.of("approved", true))))
                .hasRootCauseInstanceOf(FourEyesViolationException.class);
        assertThat(pi).isWaitingAt("Task_Approve");
    }

    @Test
    void aRunStartedWithoutAUserIsInitiatedBySystemAndStillNeedsAPersonsApproval() {
        ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey(KEY, vars("environment",
                "production", "reason", "CHG-42"));
        t.runJobs(pi);
        assertThat(t.var(pi, "initiator")).isEqualTo("system");
        assertThat(db().queryForObject("SELECT STARTED_VIA_ FROM OPSFLOW_RUN WHERE PROC_INST_ID_ = ?", String.class,
                pi.getId())).isEqualTo("system");
        assertThat(pi).isWaitingAt("Task_Approve");
        assertThatThrownBy(() -> engine.getTaskService().complete(approval(pi).getId(), Map.of("approved", true)))
                .hasRootCauseInstanceOf(RunPathForbiddenException.class).rootCause()
                .hasMessageContaining("authenticated approver");
    }

    // ---------------------------------------------------------------------------------- 3. swap at approval

    @Test
    void anApprovalThatPassesAnythingButApprovedAndCommentIsRefusedOnEveryApiAndChangesNothing() {
        ProcessInstance pi = requestProduction("alice");
        String taskId = approval(pi).getId();
        Map<String, Object> swap = Map.of("approved", true, "version", "1.2.0", "releasePlan", "[]");

        assertThatThrownBy(() -> as("bob", List.of("approvers"), () -> engine.getTaskService().complete(taskId,
                swap))).isInstanceOf(ApprovalRefusedException.class).hasMessageContaining("releasePlan, version")
                .satisfies(e -> assertThat(((ApprovalRefusedException) e).variables())
                        .containsExactly("releasePlan", "version"));
        assertThatThrownBy(() -> as("bob", List.of("approvers"), () -> engine.getFormService().submitTaskForm(taskId,
                swap))).isInstanceOf(ApprovalRefusedException.class);
        assertThatThrownBy(() -> as("bob", List.of("approvers"), () -> engine.getTaskService().setVariable(taskId,
                "version", "1.2.0"))).isInstanceOf(ApprovalRefusedException.class);
        assertThatThrownBy(() -> as("bob", List.of("approvers"), () -> engine.getTaskService()
                .handleBpmnError(taskId, "RELEASE_NOT_POSSIBLE", "x", Map.of("version", "1.2.0"))))
                .isInstanceOf(RunPathForbiddenException.class);

        assertThat(pi).isWaitingAt("Task_Approve");
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "version")).isEqualTo("1.1.0");
        assertThat(record(pi)).containsEntry("DECISION_", "PENDING");
        assertThat(db().queryForList("SELECT USER_ID_ FROM OPSFLOW_REFUSAL WHERE PROC_INST_ID_ = ?", String.class,
                pi.getId())).hasSize(4).containsOnly("bob");
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());

        // the use: the same approver decides with the form's own fields
        as("bob", List.of("approvers"), () -> engine.getTaskService().complete(taskId,
                Map.of("approved", true, "comment", "go")));
        t.runJobs(pi);
        assertThat(pi).isEnded().hasPassed("End_Succeeded");
        verify(ops).activate("production", APP, "h1", "blue", "1.1.0", STEP_LOG);
        verify(ops, never()).activate(any(), any(), any(), any(), org.mockito.ArgumentMatchers.eq("1.2.0"), any());
        Map<String, Object> r = record(pi);
        assertThat(r).containsEntry("DECISION_", "APPROVED").containsEntry("DECIDED_BY_", "bob")
                .containsEntry("INITIATOR_", "alice").containsEntry("ELIGIBLE_GROUP_", "approvers")
                .containsEntry("COMMENT_", "go");
        assertThat(ApprovalDocument.parse((String) r.get("DOCUMENT_")).sha256()).isEqualTo(r.get("SHA256_"));
        assertThat((String) r.get("DOCUMENT_")).contains("\"version\":\"1.1.0\"").contains("\"releasePlan\"");
    }

    @Test
    void evidenceChangedWhileTheApprovalWaitedIsRefusedAtCompletionNamingWhatChanged() {
        ProcessInstance pi = requestProduction("alice");
        engine.getRuntimeService().setVariable(pi.getId(), "version", "1.2.0");
        assertThatThrownBy(() -> as("bob", List.of("approvers"), () -> engine.getTaskService()
                .complete(approval(pi).getId(), Map.of("approved", true))))
                .hasRootCauseInstanceOf(ApprovalRefusedException.class).rootCause()
                .hasMessageContaining("would change what was put in front of the approvers: version");
        assertThat(pi).isWaitingAt("Task_Approve");
    }

    @Test
    void evidenceChangedAfterTheApprovalStopsTheFirstActingStepWithAnIncident() {
        ProcessInstance pi = requestProduction("alice");
        as("bob", List.of("approvers"), () -> engine.getTaskService().complete(approval(pi).getId(),
                Map.of("approved", true)));
        // e.g. an administrator's variables API call between the approval and the rollout
        engine.getRuntimeService().setVariable(pi.getId(), "version", "1.2.0");
        runJobsTolerating(pi);

        assertThat(incidents(pi)).singleElement().satisfies(i -> assertThat(i.getIncidentMessage())
                .contains("differs from what bob approved").contains("version changed since the approval"));
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }

    @Test
    void onlyAnEligibleApproverDecides() {
        ProcessInstance pi = requestProduction("alice");
        String taskId = approval(pi).getId();
        for (var who : List.of(List.of("carol", "operators"), List.of("admin", "camunda-admin"))) {
            assertThatThrownBy(() -> as(who.get(0), List.of(who.get(1)), () -> engine.getTaskService()
                    .complete(taskId, Map.of("approved", true)))).as(who.toString())
                    .hasRootCauseInstanceOf(RunPathForbiddenException.class).rootCause()
                    .hasMessageContaining("is not in the approver group 'approvers'");
        }
        assertThat(pi).isWaitingAt("Task_Approve");
        assertThat(record(pi)).containsEntry("DECISION_", "PENDING");
    }

    @Test
    void aRejectionIsRecordedAndNothingActs() {
        ProcessInstance pi = requestProduction("alice");
        as("bob", List.of("approvers"), () -> engine.getTaskService().complete(approval(pi).getId(),
                Map.of("approved", false, "comment", "not today")));
        t.runJobs(pi);
        assertThat(pi).isEnded().hasPassed("End_Rejected");
        assertThat(record(pi)).containsEntry("DECISION_", "REJECTED").containsEntry("DECIDED_BY_", "bob")
                .containsEntry("COMMENT_", "not today");
    }

    // --------------------------------------------------------------------------------------------- modification

    @Test
    void aModificationIsRefusedForNonAdministratorsAndAnAdministratorsStillMeetsTheActionGuard() {
        ProcessInstance pi = requestProduction("alice");
        assertThatThrownBy(() -> as("mallory", List.of("operators"), () -> engine.getRuntimeService()
                .createProcessInstanceModification(pi.getId()).startBeforeActivity("Gateway_ApprovalDone")
                .execute())).isInstanceOf(RunPathForbiddenException.class)
                .hasMessageContaining("Only an administrator may modify");
        assertThat(pi).isWaitingAt("Task_Approve");

        as("admin", List.of("camunda-admin"), () -> engine.getRuntimeService()
                .createProcessInstanceModification(pi.getId()).cancelAllForActivity("Task_Approve")
                .startBeforeActivity("Gateway_ApprovalDone").execute());
        runJobsTolerating(pi);
        assertThat(incidents(pi)).singleElement().satisfies(i -> assertThat(i.getIncidentMessage())
                .contains("the run's approval is PENDING"));
        verify(ops, never()).activate(any(), any(), any(), any(), any(), any());
    }
}
