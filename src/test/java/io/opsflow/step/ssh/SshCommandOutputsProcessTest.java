package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.builder.ParallelGatewayBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * {@code sshCommand} in parallel: every branch keeps its outputs ({@code exitCode}, {@code stdoutTail},
 * {@code <activityId>_log}) to itself, so no two branches write one process-level variable; a diagram that needs an
 * output maps it to a name of its own with {@code camunda:outputParameter}. In a plain sequence the outputs still land
 * on the process instance, where the diagrams and tests that read {@code exitCode} after the task find them.
 */
class SshCommandOutputsProcessTest {
    @TempDir
    Path tmp;
    private ProcessEngine engine;

    /** Answers {@code say WORD} with exit code 0 and stdout WORD, without any host. */
    static final class ScriptedStep extends SshStep {
        ScriptedStep() {
            super(new SshConnections(Duration.ofSeconds(1)));
        }

        @Override
        public SshResult run(SshTarget target, List<String> argv, Duration timeout, StepLog log) {
            return "fail".equals(argv.get(0)) ? new SshResult(3, argv.get(1) + "\n", "no such unit")
                    : new SshResult(0, argv.get(1) + "\n", "");
        }
    }

    @BeforeEach
    void engine() {
        SshProperties props = new SshProperties("file:" + tmp.resolve("unused_key"), null, tmp.resolve("known_hosts"), List.of(), "ops", 22,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setJdbcUrl("jdbc:h2:mem:outputs-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setJobExecutorActivate(false);
        cfg.setProcessEngineName("outputs-" + UUID.randomUUID());
        Map<Object, Object> beans = new HashMap<>();
        beans.put("sshCommand", new SshCommandDelegate(new ScriptedStep(), props,
                new StepLogs(tmp.resolve("logs").toString())));
        cfg.setBeans(beans);
        engine = ((ProcessEngineConfigurationImpl) cfg).buildProcessEngine();

        ParallelGatewayBuilder fork = Bpmn.createExecutableProcess("branches").camundaHistoryTimeToLive(1)
                .startEvent().parallelGateway("Gateway_Fork");
        fork.serviceTask("Task_Branch1").camundaAsyncBefore().camundaDelegateExpression("${sshCommand}")
                .camundaInputParameter("command", "[\"say\",\"one\"]")
                .camundaOutputParameter("branch1Out", "${stdoutTail}")
                .parallelGateway("Gateway_Join").userTask("Task_Inspect").endEvent();
        for (int i = 2; i <= 3; i++) {
            fork.moveToNode("Gateway_Fork").serviceTask("Task_Branch" + i).camundaAsyncBefore()
                    .camundaDelegateExpression("${sshCommand}").connectTo("Gateway_Join");
        }
        engine.getRepositoryService().createDeployment()
                .addModelInstance("branches.bpmn", fork.done())
                .addModelInstance("single.bpmn", Bpmn.createExecutableProcess("single").camundaHistoryTimeToLive(1)
                        .startEvent().serviceTask("Task_Ssh").camundaDelegateExpression("${sshCommand}")
                        .userTask("Task_Inspect").endEvent().done())
                .addModelInstance("guarded.bpmn", Bpmn.createExecutableProcess("guarded").camundaHistoryTimeToLive(1)
                        .startEvent().serviceTask("Task_Check").camundaDelegateExpression("${sshCommand}")
                        .camundaInputParameter("command", "[\"fail\",\"nginx\"]")
                        .userTask("Task_Next").endEvent()
                        .moveToActivity("Task_Check").boundaryEvent("Event_Failed").error("SSH_COMMAND_FAILED")
                        .userTask("Task_Investigate").endEvent().done())
                .deploy();
    }

    @AfterEach
    void close() {
        engine.close();
    }

    @Test
    void parallelBranchesKeepTheirOutputsAndTheDiagramMapsWhatItNeeds() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey("branches",
                Map.of("host", "web-1", "command", "[\"say\",\"all\"]")).getId();
        List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi).list();
        assertThat(jobs).hasSize(3);
        for (Job j : jobs) {
            engine.getManagementService().executeJob(j.getId());
        }

        assertThat(engine.getTaskService().createTaskQuery().processInstanceId(pi).singleResult()
                .getTaskDefinitionKey()).isEqualTo("Task_Inspect");
        Map<String, Object> processLevel = engine.getRuntimeService().getVariablesLocal(pi);
        assertThat(processLevel).as("no branch wrote a shared process-level output")
                .doesNotContainKeys("exitCode", "stdoutTail", "Task_Branch1_log", "Task_Branch2_log",
                        "Task_Branch3_log");
        assertThat(processLevel).containsEntry("branch1Out", "one\n").containsEntry("command", "[\"say\",\"all\"]");
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName("exitCode").list()).as("each branch had its own exitCode").hasSize(3);
    }

    @Test
    void inASequenceTheOutputsLandOnTheProcessInstance() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey("single",
                Map.of("host", "web-1", "command", "[\"say\",\"all\"]")).getId();

        Map<String, Object> vars = engine.getRuntimeService().getVariablesLocal(pi);
        assertThat(vars).containsEntry("exitCode", 0).containsEntry("stdoutTail", "all\n");
        assertThat((String) vars.get("Task_Ssh_log")).isNotNull();
    }

    @Test
    void aFailedCommandsOutputsReachTheErrorPathOfATaskWithABoundaryEvent() {
        // a task with a boundary event is a scope of its own that ends with the error: its outputs go to where the
        // error path continues, so the handler reads exitCode and stdoutTail without a mapping
        String pi = engine.getRuntimeService().startProcessInstanceByKey("guarded", Map.of("host", "web-1")).getId();

        org.camunda.bpm.engine.task.Task investigate = engine.getTaskService().createTaskQuery().processInstanceId(pi)
                .singleResult();
        assertThat(investigate.getTaskDefinitionKey()).isEqualTo("Task_Investigate");
        Map<String, Object> errorPath = engine.getRuntimeService().getVariables(investigate.getExecutionId());
        assertThat(errorPath).containsEntry("exitCode", 3).containsEntry("stdoutTail", "nginx\n")
                .containsKey("Task_Check_log");
    }
}
