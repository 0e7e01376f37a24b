package io.opsflow.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
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

/** provision-infrastructure against the repository's sandbox Terraform roots (variables read from them). */
@Deployment(resources = {"provision-infrastructure.bpmn",
        "provision-infrastructure-approval.form"})
class ProvisionInfrastructureProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create("terraform/environments/sandbox-staging",
            "terraform/environments/sandbox-production");
    static final ProvisionProperties PROPS = new ProvisionProperties();
    static final ProvisionInfrastructureRunbook RUNBOOK = new ProvisionInfrastructureRunbook(Path::of, PROPS);
    static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, RUNBOOK);

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final ProvisionOperations ops = mock(ProvisionOperations.class);
    final FleetProvisioner fleet = mock(FleetProvisioner.class);
    final ProvisionProperties props = PROPS;

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        props.setRequireApprovalEverywhere(false);
        BpmnAwareTests.init(engine);
        StepLogs logs = new StepLogs(logDir.toString());
        Mocks.register("provisionPrepare", new ProvisionPrepareDelegate(RUNBOOK, ENVS));
        Mocks.register("provisionInit", new ProvisionInitDelegate(ops, logs));
        Mocks.register("provisionPlan", new ProvisionPlanDelegate(ops, logs));
        Mocks.register("provisionApply", new ProvisionApplyDelegate(ops, logs));
        Mocks.register("provisionOutputs", new ProvisionOutputsDelegate(ops, logs));
        Mocks.register("provisionUpdateFleet", new ProvisionUpdateFleetDelegate(List.of(fleet)));
        Mocks.register("provisionConfigureHosts", new ProvisionConfigureHostsDelegate(ops, logs));
        Mocks.register("provisionCheckHosts", new ProvisionCheckHostsDelegate(ops, logs));
        Approve.registerApprovalBlock();
        when(fleet.handles(anyString())).thenReturn(true);
        when(ops.outputs(anyString(), any())).thenReturn(Map.of("host_count", 3, "hosts", List.of()));
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        engine.getIdentityService().clearAuthentication();
    }

    static ProvisionOperations.Plan plan(boolean changes, int add, int destroy, List<String> resources) {
        return new ProvisionOperations.Plan(changes, add, 0, destroy, resources,
                changes ? "Plan: " + add + " to add, 0 to change, " + destroy + " to destroy."
                        : "No changes. Infrastructure matches the configuration.",
                "run/" + SHA, SHA);
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "reason", "more capacity"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        engine.getIdentityService().setAuthenticatedUserId("alice");
        try {
            return engine.getRuntimeService().startProcessInstanceByKey("provision-infrastructure", vars);
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
    }

    void runJobs(ProcessInstance pi) {
        for (int guard = 0; guard < 100; guard++) {
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
        var v = engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    void decide(ProcessInstance pi, boolean approved, String comment) {
        Task task = engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey("Task_Approve").singleResult();
        Approve.as(engine, "bob", task.getId(), approved, comment);
    }

    @Test
    void aPlanWithNoChangesEndsSucceededWithoutApprovalEvenInProduction() {
        when(ops.plan(eq("production"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(false, 0, 0, List.of()));
        ProcessInstance pi = start("environment", "production", "hostCount", 3);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_TerraformInit", "Task_TerraformPlan",
                "Event_EndNoChanges").hasNotPassed("Task_Approve", "Task_TerraformApply");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(ops, never()).apply(anyString(), anyString(), any(), any());
    }

    @Test
    void stagingAppliesThePlanWithoutApprovalThenConfiguresAndChecksOnlyTheNewHost() {
        when(ops.plan(eq("staging"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0,
                List.of("+ module.fleet.terraform_data.host[2] (create)")));
        when(fleet.applyHostCount(eq("staging"), anyMap())).thenReturn(new FleetProvisioner.FleetChange(
                List.of("staging-web-1", "staging-web-2", "staging-web-3"), List.of("staging-web-3"), List.of()));
        ProcessInstance pi = start("hostCount", 3);
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassedInOrder("Task_Prepare", "Task_TerraformInit",
                "Task_TerraformPlan", "Task_TerraformApply", "Task_TerraformOutputs", "Task_UpdateFleet",
                "Task_ConfigureHosts", "Task_CheckHosts", "Event_EndProvisioned").hasNotPassed("Task_Approve");
        InOrder order = inOrder(ops, fleet);
        order.verify(ops).init(eq("staging"), any());
        order.verify(ops).plan(eq("staging"), eq(pi.getId()), eq(Map.of("host_count", 3)), eq(false), any());
        order.verify(ops).apply(eq("staging"), eq(pi.getId()), eq(SHA), any());
        order.verify(ops).outputs(eq("staging"), any());
        order.verify(fleet).applyHostCount(eq("staging"), eq(Map.of("host_count", 3, "hosts", List.of())));
        order.verify(ops).configureHosts(eq("staging"), eq(List.of("staging-web-3")), any());
        order.verify(ops).checkHosts(eq("staging"), eq(List.of("staging-web-3")), any());
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "newHosts")).isEqualTo(List.of("staging-web-3"));
        assertThat(var(pi, "hostsBefore")).isEqualTo(List.of("staging-web-1", "staging-web-2"));
        assertThat(var(pi, "tfOutputs")).isEqualTo("{\"host_count\":3,\"hosts\":[]}");
    }

    @Test
    void productionShowsThePlanToAnApproverAndAppliesExactlyTheApprovedHash() {
        when(ops.plan(eq("production"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0,
                List.of("+ module.fleet.terraform_data.host[3] (create)")));
        when(fleet.applyHostCount(eq("production"), anyMap())).thenReturn(new FleetProvisioner.FleetChange(
                List.of("a", "b"), List.of(), List.of()));
        ProcessInstance pi = start("environment", "production", "hostCount", 4, "tfVars", "{\"base_name\":\"app\"}");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops, never()).apply(anyString(), anyString(), any(), any());
        Map<String, Object> evidence = engine.getRuntimeService().getVariables(pi.getId());
        assertThat(evidence).containsEntry("tfPlanSha256", SHA).containsEntry("tfAdd", 1)
                .containsEntry("tfResourceChanges", "+ module.fleet.terraform_data.host[3] (create)")
                .containsEntry("terraformVars", "{\"host_count\":4,\"base_name\":\"app\"}")
                .containsEntry("needsApproval", true);
        Task task = engine.getTaskService().createTaskQuery().processInstanceId(pi.getId()).initializeFormKeys()
                .singleResult();
        assertThat(task.getCamundaFormRef().getKey()).isEqualTo("provision-infrastructure-approval");

        decide(pi, true, "ok");
        runJobs(pi);
        verify(ops).apply(eq("production"), eq(pi.getId()), eq(SHA), any());
        assertThat(var(pi, "approvedPlanSha256")).isEqualTo(SHA);
        assertThat(var(pi, "approvedBy")).isEqualTo("bob");
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndApplied").hasNotPassed("Task_ConfigureHosts");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void aRejectedPlanIsNeverApplied() {
        when(ops.plan(eq("production"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0,
                List.of("+ module.fleet.terraform_data.host[3] (create)")));
        ProcessInstance pi = start("environment", "production", "hostCount", 4);
        runJobs(pi);
        decide(pi, false, "wrong size");
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndRejected");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("rejected by bob: wrong size");
        verify(ops, never()).apply(anyString(), anyString(), any(), any());
    }

    @Test
    void aPlanThatIsNotTheApprovedOneIsRefusedAndTheRunFails() {
        when(ops.plan(eq("production"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0,
                List.of("+ module.fleet.terraform_data.host[3] (create)")));
        doThrow(new ProvisionOperations.PlanMismatchException("refusing to apply plan.tfplan: its SHA-256 is abc but"
                + " the approved plan's is " + SHA)).when(ops).apply(anyString(), anyString(), any(), any());
        ProcessInstance pi = start("environment", "production", "hostCount", 4);
        runJobs(pi);
        decide(pi, true, "ok");
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_PlanMismatch", "Event_EndPlanMismatch")
                .hasNotPassed("Task_TerraformOutputs");
        assertThat(var(pi, "outcome")).isEqualTo("FAILED");
        assertThat(var(pi, "failureCode")).isEqualTo("PLAN_MISMATCH");
        assertThat((String) var(pi, "failureReason")).contains("refusing to apply").contains(SHA);
        verify(fleet, never()).applyHostCount(anyString(), anyMap());
    }

    @Test
    void destroyAlwaysNeedsApprovalShowsWhatGoesAndConfiguresNothing() {
        when(ops.plan(eq("staging"), anyString(), anyMap(), eq(true), any())).thenReturn(plan(true, 0, 2,
                List.of("- module.fleet.terraform_data.host[0] (delete)",
                        "- module.fleet.terraform_data.host[1] (delete)")));
        when(ops.outputs(eq("staging"), any())).thenReturn(Map.of());
        when(fleet.applyHostCount(eq("staging"), anyMap())).thenReturn(new FleetProvisioner.FleetChange(
                List.of(), List.of(), List.of("staging-web-1", "staging-web-2")));
        ProcessInstance pi = start("action", "destroy", "reason", "decommission staging");
        runJobs(pi);
        // staging needs no approval for apply, but destroy always does
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
        assertThat(engine.getRuntimeService().getVariables(pi.getId()))
                .containsEntry("tfPlanSummary", "DESTROY: Plan: 0 to add, 0 to change, 2 to destroy.")
                .containsEntry("tfDestroy", 2)
                .containsEntry("tfResourceChanges", "- module.fleet.terraform_data.host[0] (delete)\n"
                        + "- module.fleet.terraform_data.host[1] (delete)");
        verify(ops, never()).apply(anyString(), anyString(), any(), any());
        decide(pi, true, "bye");
        runJobs(pi);
        verify(ops).apply(eq("staging"), anyString(), eq(SHA), any());
        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Event_EndApplied").hasNotPassed("Task_ConfigureHosts");
        assertThat(var(pi, "removedHosts")).isEqualTo(List.of("staging-web-1", "staging-web-2"));
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void approvalCanBeRequiredEverywhereByConfiguration() {
        props.setRequireApprovalEverywhere(true);
        when(ops.plan(eq("staging"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0, List.of()));
        ProcessInstance pi = start("hostCount", 3);
        runJobs(pi);
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_Approve");
    }

    @Test
    void aFailingHostSetupHoldsTheRunWithAnIncident() {
        when(ops.plan(eq("staging"), anyString(), anyMap(), eq(false), any())).thenReturn(plan(true, 1, 0, List.of()));
        when(fleet.applyHostCount(eq("staging"), anyMap())).thenReturn(new FleetProvisioner.FleetChange(
                List.of("staging-web-3"), List.of("staging-web-3"), List.of()));
        doThrow(new IllegalStateException("configure-host.yml failed on staging-web-3: unreachable"))
                .when(ops).configureHosts(anyString(), any(), any());
        ProcessInstance pi = start("hostCount", 3);
        assertThatThrownBy(() -> runJobs(pi)).hasMessageContaining("failed on staging-web-3");
        BpmnAwareTests.assertThat(pi).isActive();
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "tfApplied")).isEqualTo(true);
        assertThat(engine.getRuntimeService().getVariable(pi.getId(), "outcome")).isNull();
    }

    @Test
    void inputsAreCheckedAgainstTheRootsDeclaredVariables() {
        assertThatThrownBy(() -> start("tfVars", "{\"server_type\":\"cx22\"}")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("tfVars: the environment's Terraform root declares no variable server_type");
        assertThatThrownBy(() -> start("tfVars", "[1]")).hasMessageContaining("tfVars: must be a JSON object");
        assertThatThrownBy(() -> start("tfVars", "{\"base_name\":{\"a\":1}}"))
                .hasMessageContaining("tfVars: base_name must be a string");
        assertThatThrownBy(() -> start("tfVars", "{\"base_name\":\"x\\ny\"}"))
                .hasMessageContaining("tfVars: base_name must be a string");
        assertThatThrownBy(() -> start("tfVars", "{\"Host-Count\":1}")).hasMessageContaining("tfVars: variable names");
        assertThatThrownBy(() -> start("hostCount", 3, "tfVars", "{\"host_count\":5}"))
                .hasMessageContaining("tfVars: host_count is already set by hostCount");
        assertThatThrownBy(() -> start("hostCount", -1)).hasMessageContaining("hostCount: must be at least 0");
        assertThatThrownBy(() -> start("action", "taint")).hasMessageContaining("action: must be one of");
        assertThatThrownBy(() -> start("reason", "")).hasMessageContaining("reason: is required");
        assertThatThrownBy(() -> start("environment", "solo")).hasMessageContaining("solo has no Terraform root");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        verify(ops, never()).plan(anyString(), anyString(), anyMap(), anyBoolean(), any());
    }

    /** The refusal reaches whoever started the run (REST answers it as 400): it names the setting, not the directory. */
    @Test
    void anUnusableRootIsRefusedNamingTheSettingNotTheDirectory() throws Exception {
        Path missing = logDir.resolve("no-such-root");
        Path empty = Files.createDirectories(logDir.resolve("root-without-tf"));
        Environments envs = RunbookTestEnvironments.create(missing.toString(), empty.toString());
        ProvisionInfrastructureRunbook runbook = new ProvisionInfrastructureRunbook(Path::of, new ProvisionProperties());
        Map<String, String> problems = Map.of("staging", "is not a directory", "production", "has no .tf files");
        problems.forEach((env, problem) -> {
            List<String> errors = new ArrayList<>();
            runbook.validate(new HashMap<>(Map.of("environment", env, "reason", "more capacity")), envs, errors);
            assertThat(errors).as(env).singleElement().asString()
                    .startsWith("environment: the Terraform root of " + env + " " + problem)
                    .contains("(opsflow.environments." + env + ".terraform-root")
                    .doesNotContain(logDir.toString()).doesNotContain("/");
        });
    }
}
