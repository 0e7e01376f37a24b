package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.complete;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.task;

import java.nio.file.Path;
import java.util.Map;

import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.TestEngines;

/**
 * The Terraform delegates inside a real (in-memory) engine with the platform's settings (Java serialization off),
 * driving the CLI double: the PLAN_MISMATCH BpmnError is caught by a boundary event, a plan without changes ends
 * without review, and the variables are storable as the engine is configured.
 */
@Deployment(resources = "bpmn/terraform-steps.bpmn")
class TerraformProcessIT {
    static final Environments ENVIRONMENTS = TestEngines.defaultEnvironments();

    @RegisterExtension
    static ProcessEngineExtension extension = TestEngines.extension(ENVIRONMENTS);

    @TempDir
    Path tmp;
    TerraformFixture fx;

    @BeforeEach
    void registerDelegates() {
        fx = new TerraformFixture(tmp);
        TerraformStep step = fx.doubleStep();
        TerraformExecutionContext ctx = new TerraformExecutionContext(new StaticListableBeanFactory(
                Map.of("environments", ENVIRONMENTS)).getBeanProvider(Environments.class), step);
        StepLogs logs = new StepLogs(tmp.resolve("var/logs").toString());
        Mocks.register("terraformInit", new TerraformInitDelegate(step, ctx, logs));
        Mocks.register("terraformPlan", new TerraformPlanDelegate(step, ctx, logs));
        Mocks.register("terraformApply", new TerraformApplyDelegate(step, ctx, logs));
        Mocks.register("terraformOutput", new TerraformOutputDelegate(step, ctx, logs));
    }

    @AfterEach
    void reset() {
        Mocks.reset();
    }

    private ProcessInstance start(int hosts) {
        return extension.getRuntimeService().startProcessInstanceByKey("terraform-steps", Map.of(
                "terraformRoot", fx.stagingRoot.toString(), "terraformVars", "{\"host_count\": " + hosts + "}"));
    }

    @Test
    void reviewedPlanIsAppliedAndOutputsAreStored() {
        ProcessInstance pi = start(2);
        assertThat(pi).isWaitingAt("Task_Review").variables().containsEntry("tfHasChanges", true)
                .containsEntry("tfAdd", 2).containsKey("tfPlanSha256");
        complete(task(pi));
        assertThat(pi).isEnded().hasPassed("Task_Apply", "Task_Output", "EndEvent_Done");
        // Task_Apply is a scope (boundary event): its outputs stayed on it, the diagram mapped tfApplied
        assertThat(extension.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName("tfApplied").executionIdIn(pi.getId()).singleResult().getValue()).isEqualTo(true);
        assertThat(extension.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName("tfAlreadyApplied").executionIdIn(pi.getId()).list()).isEmpty();
        String outputs = (String) extension.getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(pi.getId()).variableName("tfOutputs").singleResult().getValue();
        assertThat(TerraformDoubleIT.hostNames(TerraformOutputDelegate.parse(outputs)))
                .containsExactly("staging-web-1", "staging-web-2");

        ProcessInstance again = start(2);
        assertThat(again).isEnded().hasPassed("EndEvent_NoChanges").hasNotPassed("Task_Review");
    }

    @Test
    void aPlanChangedDuringReviewEndsOnThePlanMismatchPath() throws Exception {
        ProcessInstance pi = start(3);
        // the stored plan is changed in the database after the review (the local file is not what apply reads)
        assertThat(fx.jdbc.update("UPDATE OPSFLOW_TF_PLAN SET PLAN_ = ? WHERE PROC_INST_ID_ = ?",
                "tampered".getBytes(java.nio.charset.StandardCharsets.UTF_8), pi.getId())).isEqualTo(1);
        complete(task(pi));
        assertThat(pi).isEnded().hasPassed("EndEvent_Mismatch").hasNotPassed("Task_Output");
        Map<String, Object> vars = new java.util.HashMap<>();
        extension.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId()).list()
                .forEach(v -> vars.put(v.getName(), v.getValue()));
        // tfPlanMismatchReason is on the error path; the diagram's mapping of tfApplied ran on the interrupted task
        assertThat(vars).containsEntry("tfPlanMismatchReason", "HASH_DIFFERS").containsEntry("tfApplied", false);
        assertThat((String) vars.get("planMismatchMessage")).contains("SHA-256");
        assertThat(fx.stagingRoot.resolve("terraform.tfstate")).doesNotExist();
    }
}
