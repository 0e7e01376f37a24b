package io.opsflow.step;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.execute;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.job;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.runtimeService;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.opsflow.testsupport.TestEngines;

/**
 * A diagram that uses every step-library delegate, routed on the BpmnError codes the step catalog documents
 * (docs/STEPS.md). The steps' own behaviour is proven by their *IT against real tools; this proves the contract the
 * diagrams rely on: bean names, error codes, and that technical failures become incidents, not outcomes.
 */
@Deployment(resources = "bpmn/step-library.bpmn")
class StepLibraryProcessTest {
    static final List<String> BEANS = List.of("tryRunbookLock", "terraformInit", "terraformPlan",
            "terraformDestroyPlan", "terraformApply", "terraformOutput", "ansiblePlaybook", "sshCommand",
            "workerScript", "httpHealthCheck", "releaseRunbookLock");

    @RegisterExtension
    static ProcessEngineExtension extension = TestEngines.extension(TestEngines.defaultEnvironments());

    final Map<String, JavaDelegate> delegates = new LinkedHashMap<>();

    @BeforeEach
    void register() throws Exception {
        for (String bean : BEANS) {
            JavaDelegate d = mock(JavaDelegate.class);
            delegates.put(bean, d);
            Mocks.register(bean, d);
        }
        doAnswer(inv -> {
            inv.getArgument(0, DelegateExecution.class).setVariable("lockAcquired", true);
            return null;
        }).when(delegates.get("tryRunbookLock")).execute(any());
    }

    @AfterEach
    void reset() {
        Mocks.reset();
    }

    ProcessInstance runUntilEnd() {
        ProcessInstance pi = runtimeService().startProcessInstanceByKey("step-library");
        for (int i = 0; i < 20 && !isEnded(pi) && job(pi) != null && job(pi).getExceptionMessage() == null; i++) {
            try {
                execute(job(pi));
            } catch (RuntimeException technicalFailure) {
                break; // the job keeps the exception and its remaining retries
            }
        }
        return pi;
    }

    static boolean isEnded(ProcessInstance pi) {
        return runtimeService().createProcessInstanceQuery().processInstanceId(pi.getId()).count() == 0;
    }

    @Test
    void everyStepRunsInOrderOnTheHappyPath() throws Exception {
        ProcessInstance pi = runUntilEnd();
        assertThat(pi).hasPassedInOrder("Task_TryLock", "Task_TerraformInit", "Task_TerraformPlan",
                "Task_TerraformDestroyPlan", "Task_TerraformApply", "Task_TerraformOutput", "Task_AnsiblePlaybook",
                "Task_SshCommand", "Task_WorkerScript", "Task_HealthCheck", "Task_ReleaseLock").isEnded()
                .hasPassed("EndEvent_Done");
        for (JavaDelegate d : delegates.values()) {
            verify(d).execute(any());
        }
    }

    @Test
    void heldLockSkipsEverything() throws Exception {
        doAnswer(inv -> {
            inv.getArgument(0, DelegateExecution.class).setVariable("lockAcquired", false);
            return null;
        }).when(delegates.get("tryRunbookLock")).execute(any());
        ProcessInstance pi = runUntilEnd();
        assertThat(pi).isEnded().hasPassed("EndEvent_Skipped").hasNotPassed("Task_TerraformInit");
        verify(delegates.get("terraformInit"), never()).execute(any());
    }

    @Test
    void modelledOutcomesRouteOnTheirErrorCodes() throws Exception {
        Map<String, String[]> cases = Map.of(
                "terraformApply", new String[] {"PLAN_MISMATCH", "EndEvent_PlanMismatch"},
                "ansiblePlaybook", new String[] {"PLAYBOOK_FAILED", "EndEvent_PlaybookFailed"},
                "sshCommand", new String[] {"SSH_COMMAND_FAILED", "EndEvent_SshCommandFailed"},
                "workerScript", new String[] {"WORKER_FAILED", "EndEvent_WorkerFailed"},
                "httpHealthCheck", new String[] {"HEALTH_CHECK_FAILED", "EndEvent_HealthCheckFailed"});
        for (var c : cases.entrySet()) {
            register();
            doThrow(new BpmnError(c.getValue()[0], "modelled")).when(delegates.get(c.getKey())).execute(any());
            ProcessInstance pi = runUntilEnd();
            assertThat(pi).as(c.getKey()).isEnded().hasPassed(c.getValue()[1]).hasNotPassed("EndEvent_Done");
            verify(delegates.get("releaseRunbookLock"), never()).execute(any());
        }
    }

    @Test
    void aTechnicalFailureIsRetriedAndBecomesAnIncident() throws Exception {
        doThrow(new IllegalStateException("ansible-playbook not found")).when(delegates.get("ansiblePlaybook"))
                .execute(any());
        ProcessInstance pi = runUntilEnd();
        assertThat(pi).isActive().isWaitingAt("Task_AnsiblePlaybook");
        assertThat(job(pi).getExceptionMessage()).contains("ansible-playbook not found");
        assertThat(job(pi).getRetries()).as("one attempt used, retries left").isGreaterThan(0);
        while (job(pi).getRetries() > 0) {
            try {
                execute(job(pi));
            } catch (RuntimeException expected) {
                // each retry fails the same way
            }
        }
        assertThat(runtimeService().createIncidentQuery().processInstanceId(pi.getId()).singleResult()
                .getIncidentMessage()).contains("ansible-playbook not found");
    }
}
