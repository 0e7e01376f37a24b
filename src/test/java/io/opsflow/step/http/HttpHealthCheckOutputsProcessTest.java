package io.opsflow.step.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.camunda.bpm.engine.runtime.Execution;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.ParallelSteps;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * {@code httpHealthCheck} {@value ParallelSteps#WIDTH} times at once in one run, as parallel branches and as a
 * multi-instance: no step job conflicts with another, conflicted join jobs are retried at once, every branch keeps
 * {@code healthy}, {@code healthResults} and its log to itself (nothing at process level but what the diagram maps).
 * A failed check caught by a boundary event leaves its outputs on the branch that handles the error.
 */
class HttpHealthCheckOutputsProcessTest {
    @TempDir
    static Path tmp;
    private static ParallelSteps run;

    /**
     * Healthy unless the host is called "down"; a check of a branch-N or instance-N host waits for all steps of the
     * round to be inside.
     */
    @BeforeAll
    static void engine() {
        HttpHealthCheck scripted = new HttpHealthCheck() {
            @Override
            public HealthReport check(List<URI> urls, int expectedStatus, Pattern bodyPattern, Duration interval,
                                      Duration deadline, StepLog log) {
                if (urls.get(0).getHost().matches("(branch|instance)-\\d+\\.test")) {
                    run.together();
                }
                return new HealthReport(urls.stream().map(u -> {
                    boolean up = !u.getHost().startsWith("down");
                    return new UrlHealth(u, up, up ? 200 : 503, 1, up ? null : "status 503", u.getHost());
                }).toList());
            }
        };
        run = new ParallelSteps(Map.of("httpHealthCheck",
                new HttpHealthCheckDelegate(scripted, new StepLogs(tmp.resolve("logs").toString()))));
        run.deployBranches("httpHealthCheck", i -> Map.of("healthUrls", "http://branch-" + i + ".test/health"),
                "healthResults");
        run.deployMultiInstance("httpHealthCheck", "healthUrls");
        run.engine().getRepositoryService().createDeployment()
                .addModelInstance("two.bpmn", Bpmn.createExecutableProcess("two").camundaHistoryTimeToLive(1)
                        .startEvent().parallelGateway("Gateway_Fork")
                        .serviceTask("Task_Down").camundaDelegateExpression("${httpHealthCheck}")
                        .camundaInputParameter("healthUrls", "http://down.test/health")
                        .boundaryEvent("Event_DownUnhealthy").error("HEALTH_CHECK_FAILED")
                        .userTask("Task_Investigate").endEvent()
                        .moveToActivity("Task_Down").userTask("Task_NotReached").endEvent()
                        .moveToNode("Gateway_Fork")
                        .serviceTask("Task_Up").camundaDelegateExpression("${httpHealthCheck}")
                        .camundaInputParameter("healthUrls", "http://up.test/health")
                        .userTask("Task_Next").endEvent().done())
                .addModelInstance("single.bpmn", Bpmn.createExecutableProcess("single").camundaHistoryTimeToLive(1)
                        .startEvent().serviceTask("Task_Health").camundaDelegateExpression("${httpHealthCheck}")
                        .userTask("Task_Inspect").endEvent().done())
                .deploy();
    }

    @AfterAll
    static void close() {
        run.close();
    }

    @Test
    void twentyParallelChecksKeepTheirOutputsAndConflictsHoldNothing() throws Exception {
        String pi = run.runBranches();

        Map<String, Object> processLevel = run.processLevelWithout(pi, "healthy", "healthResults",
                "Task_Branch1_log", "Task_Branch2_log");
        assertThat((String) processLevel.get("branch1Output")).as("what the diagram mapped, from branch 1 only")
                .contains("branch-1.test").doesNotContain("branch-2.test");
        List<Object> results = run.everyValueOf(pi, "healthResults");
        assertThat(results).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates();
        assertThat(run.everyValueOf(pi, "healthy")).hasSize(ParallelSteps.WIDTH).containsOnly(true);
    }

    @Test
    void aMultiInstanceOfTwentyKeepsEachInstancesOutputs() throws Exception {
        List<String> urls = IntStream.rangeClosed(1, ParallelSteps.WIDTH)
                .mapToObj(i -> "http://instance-" + i + ".test/health").toList();
        String pi = run.runMultiInstance(Map.of("items", urls));

        run.processLevelWithout(pi, "healthy", "healthResults", "Task_Each_log");
        List<Object> results = run.everyValueOf(pi, "healthResults");
        assertThat(results).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates();
        assertThat(results).allSatisfy(r -> assertThat((String) r).containsPattern("instance-\\d+\\.test"));
        assertThat(run.everyValueOf(pi, "Task_Each_log")).hasSize(ParallelSteps.WIDTH);
    }

    @Test
    void aFailedCheckInABranchLeavesItsOutputsOnThatBranchsErrorPath() {
        String pi = run.engine().getRuntimeService().startProcessInstanceByKey("two").getId();

        run.processLevelWithout(pi, "healthy", "healthResults", "Task_Down_log");
        String investigate = run.engine().getTaskService().createTaskQuery().processInstanceId(pi)
                .taskDefinitionKey("Task_Investigate").singleResult().getExecutionId();
        Map<String, Object> errorPath = run.engine().getRuntimeService().getVariables(investigate);
        assertThat(errorPath).containsEntry("healthy", false).containsKey("Task_Down_log");
        assertThat((String) errorPath.get("healthResults")).contains("down.test").contains("503");
        Execution next = run.engine().getRuntimeService().createExecutionQuery().processInstanceId(pi)
                .activityId("Task_Next").singleResult();
        assertThat(run.engine().getRuntimeService().getVariables(next.getId()))
                .as("the healthy branch's outputs stayed on its task's scope").doesNotContainKey("healthResults");
    }

    @Test
    void inAPlainSequenceTheOutputsLandOnTheProcessInstance() {
        String pi = run.engine().getRuntimeService().startProcessInstanceByKey("single",
                Map.of("healthUrls", "http://app.test/health")).getId();

        assertThat(run.processLevelWithout(pi)).containsEntry("healthy", true).containsKey("healthResults")
                .containsKey("Task_Health_log");
    }
}
