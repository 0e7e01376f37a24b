package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.step.exec.StepLogs;

/**
 * The Terraform delegates with a stand-in execution (a variable map) and the CLI double: which variables they read
 * and write, PLAN_MISMATCH as BpmnError, the root taken from the environment's terraform-root.
 */
class TerraformDelegatesIT {
    @TempDir
    Path tmp;
    TerraformFixture fx;
    Map<String, Object> vars;
    DelegateExecution execution;
    TerraformInitDelegate init;
    TerraformPlanDelegate plan;
    TerraformDestroyPlanDelegate destroyPlan;
    TerraformApplyDelegate apply;
    TerraformOutputDelegate output;

    @BeforeEach
    void setUp() {
        fx = new TerraformFixture(tmp);
        EnvironmentsProperties props = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec staging = new EnvironmentsProperties.EnvironmentSpec();
        staging.setTerraformRoot(fx.stagingRoot.toString());
        props.getEnvironments().put("staging", staging);
        props.getEnvironments().put("lab", new EnvironmentsProperties.EnvironmentSpec());
        ObjectProvider<Environments> envs = new StaticListableBeanFactory(
                Map.of("environments", new Environments(props))).getBeanProvider(Environments.class);
        TerraformStep step = fx.doubleStep();
        TerraformExecutionContext ctx = new TerraformExecutionContext(envs, step);
        StepLogs logs = new StepLogs(tmp.resolve("var/logs").toString());
        init = new TerraformInitDelegate(step, ctx, logs);
        plan = new TerraformPlanDelegate(step, ctx, logs);
        destroyPlan = new TerraformDestroyPlanDelegate(step, ctx, logs);
        apply = new TerraformApplyDelegate(step, ctx, logs);
        output = new TerraformOutputDelegate(step, ctx, logs);
        vars = new HashMap<>();
        execution = execution(vars);
    }

    @Test
    void provisionFlowWritesTheDocumentedVariables() throws Exception {
        vars.put("environment", "staging");
        vars.put("terraformVars", Map.of("host_count", 3));
        init.execute(execution);
        assertThat(Path.of((String) vars.get("terraformLogPath"))).exists()
                .isEqualTo(tmp.resolve("var/logs/pi-42/Activity_1_ai.log"));
        assertThat((String) vars.get("terraformLogTail")).contains("terraform init -input=false -no-color");

        plan.execute(execution);
        assertThat(vars).containsEntry("tfHasChanges", true).containsEntry("tfAdd", 3).containsEntry("tfChange", 0)
                .containsEntry("tfDestroy", 0).containsEntry("tfPlanDestroy", false);
        Path planFile = fx.workDir.toAbsolutePath().resolve("pi-42/plan.tfplan");
        assertThat(vars.get("tfPlanSha256")).isEqualTo(TerraformStep.sha256(planFile));
        assertThat(vars).containsEntry("tfPlanId", "pi-42/" + vars.get("tfPlanSha256")).doesNotContainKey("tfPlanFile");
        assertThat(fx.plans.find("pi-42", (String) vars.get("tfPlanSha256")).orElseThrow().plan())
                .as("the plan is stored in the database").isEqualTo(Files.readAllBytes(planFile));
        JsonNode changes = TerraformFixture.JSON.readTree((String) vars.get("tfResourceChanges"));
        assertThat(changes).hasSize(3);
        assertThat(changes.get(0).get("address").asText()).isEqualTo("module.fleet.terraform_data.host[0]");
        assertThat(changes.get(0).get("actions").get(0).asText()).isEqualTo("create");
        assertThat((String) vars.get("tfPlanSummary")).startsWith("Plan: 3 to add, 0 to change, 0 to destroy.");

        apply.execute(execution);
        assertThat(vars).containsEntry("tfApplied", true).containsEntry("tfAlreadyApplied", false);

        output.execute(execution);
        Map<String, Object> outputs = TerraformOutputDelegate.parse((String) vars.get("tfOutputs"));
        assertThat(outputs).containsEntry("host_count", 3);
        assertThat(TerraformDoubleIT.hostNames(outputs)).containsExactly("staging-web-1", "staging-web-2",
                "staging-web-3");
    }

    @Test
    void aChangedPlanIsTheBpmnErrorPlanMismatch() throws Exception {
        vars.put("terraformRoot", fx.stagingRoot.toString());
        vars.put("terraformVars", "{\"host_count\": 2}");
        init.execute(execution);
        plan.execute(execution);
        vars.put("tfPlanSha256", "f".repeat(64));
        assertThatThrownBy(() -> apply.execute(execution)).isInstanceOfSatisfying(BpmnError.class, e -> {
            assertThat(e.getErrorCode()).isEqualTo("PLAN_MISMATCH");
            assertThat(e.getMessage()).contains("SHA-256");
        });
        assertThat(vars).containsEntry("tfPlanMismatchReason", "HASH_DIFFERS").doesNotContainKey("tfApplied");
        assertThat((String) vars.get("terraformLogTail")).contains("REFUSED");

        vars.put("tfPlanId", "other-run/" + "f".repeat(64)); // a forged plan id names nothing apply reads
        assertThatThrownBy(() -> apply.execute(execution)).isInstanceOf(BpmnError.class);
        assertThat(vars).containsEntry("tfPlanMismatchReason", "HASH_DIFFERS");

        fx.plans.deleteRun("pi-42"); // the run's stored plan is gone (history cleanup)
        assertThatThrownBy(() -> apply.execute(execution)).isInstanceOf(BpmnError.class);
        assertThat(vars).containsEntry("tfPlanMismatchReason", "MISSING");
    }

    @Test
    void destroyPlansEverythingAway() throws Exception {
        vars.put("environment", "staging");
        vars.put("terraformVars", Map.of("host_count", 2));
        init.execute(execution);
        plan.execute(execution);
        apply.execute(execution);

        vars.put("terraformDestroy", true);
        plan.execute(execution);
        assertThat(vars).containsEntry("tfDestroy", 2).containsEntry("tfAdd", 0).containsEntry("tfPlanDestroy", true);
        assertThat(fx.plans.find("pi-42", (String) vars.get("tfPlanSha256")).orElseThrow().destroy()).isTrue();
        vars.remove("terraformDestroy");
        destroyPlan.execute(execution);
        assertThat(vars).containsEntry("tfDestroy", 2).containsEntry("tfPlanDestroy", true);
        apply.execute(execution);
        output.execute(execution);
        assertThat(vars).containsEntry("tfOutputs", "{}");
    }

    @Test
    void aMissingRootIsATechnicalFailureThatSaysWhatToConfigure() {
        vars.put("environment", "lab");
        assertThatThrownBy(() -> init.execute(execution)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("opsflow.environments.lab.terraform-root");
        vars.put("environment", "nowhere");
        assertThatThrownBy(() -> init.execute(execution)).hasMessageContaining("nowhere");
        assertThat(fx.invocations()).isEmpty();
    }

    @Test
    void hostileVariableNamesFailThePlanStepBeforeAnythingRuns() {
        vars.put("environment", "staging");
        vars.put("terraformVars", Map.of("host_count; rm -rf /", 1));
        assertThatThrownBy(() -> plan.execute(execution)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid Terraform variable name");
        assertThat(vars).doesNotContainKeys("tfPlanId", "tfPlanSha256");
        assertThat(fx.invocations()).isEmpty();
        assertThat(List.copyOf(vars.keySet())).doesNotContain("tfHasChanges");
    }

    static DelegateExecution execution(Map<String, Object> vars) {
        DelegateExecution ex = mock(DelegateExecution.class);
        when(ex.getProcessInstanceId()).thenReturn("pi-42");
        when(ex.getActivityInstanceId()).thenReturn("Activity_1:ai");
        when(ex.getCurrentActivityId()).thenReturn("Activity_1");
        when(ex.getVariable(anyString())).thenAnswer(i -> vars.get(i.<String>getArgument(0)));
        doAnswer(i -> {
            vars.put(i.getArgument(0), i.getArgument(1));
            return null;
        }).when(ex).setVariableLocal(anyString(), any());
        return ex;
    }
}
