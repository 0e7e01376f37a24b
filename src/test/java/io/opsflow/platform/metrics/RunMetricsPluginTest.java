package io.opsflow.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.history.HistoryLevel;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The run meters as an engine feeds them through {@link RunMetricsPlugin}, no diagram edits: runs started and ended
 * with environment and outcome, step, run and approval durations, only for committed work; tag values bounded
 * whatever a start variable says.
 */
class RunMetricsPluginTest {
    static final String KEY = "metrics-sample";
    static ProcessEngine engine;
    static SimpleMeterRegistry registry;

    @BeforeAll
    static void engine() {
        registry = new SimpleMeterRegistry();
        RunMetrics metrics = new RunMetrics(registry, () -> Set.of("staging", "production"));
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setJdbcUrl("jdbc:h2:mem:metrics-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setJobExecutorActivate(false);
        cfg.setHistoryLevel(HistoryLevel.HISTORY_LEVEL_FULL);
        cfg.setProcessEngineName("metrics-" + UUID.randomUUID());
        cfg.getProcessEnginePlugins().add(new RunMetricsPlugin(() -> metrics));
        engine = cfg.buildProcessEngine();
        BpmnModelInstance sample = Bpmn.createExecutableProcess(KEY).camundaHistoryTimeToLive(1)
                .startEvent()
                .serviceTask("Task_Work").camundaExpression("${execution.setVariable('worked', true)}")
                .userTask("Task_Approve")
                .endEvent().camundaExecutionListenerExpression("end", "${execution.setVariable('outcome', 'SUCCEEDED')}")
                .done();
        BpmnModelInstance failing = Bpmn.createExecutableProcess("metrics-failing").camundaHistoryTimeToLive(1)
                .startEvent()
                .serviceTask("Task_Fails").camundaAsyncBefore().camundaExpression("${nothing.here()}")
                .endEvent().done();
        engine.getRepositoryService().createDeployment().addModelInstance("sample.bpmn", sample)
                .addModelInstance("failing.bpmn", failing).deploy();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @BeforeEach
    void clear() {
        registry.clear();
        new RunMetrics(registry, Set::of);
    }

    double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    long timerCount(String name, String... tags) {
        Timer t = registry.find(name).tags(tags).timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void aRunCountsItsStartStepsApprovalWaitAndEndWithItsOutcome() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey(KEY, Map.of("environment", "production"))
                .getId();
        assertThat(counter(RunMetrics.RUNS_STARTED, "runbook", KEY, "environment", "production")).isEqualTo(1);
        assertThat(timerCount(RunMetrics.STEP_DURATION, "runbook", KEY, "activity", "Task_Work")).isEqualTo(1);
        assertThat(counter(RunMetrics.RUNS_ENDED)).isZero();
        assertThat(timerCount(RunMetrics.APPROVAL_WAIT)).isZero();

        String task = engine.getTaskService().createTaskQuery().processInstanceId(pi).singleResult().getId();
        engine.getTaskService().complete(task);

        assertThat(counter(RunMetrics.RUNS_ENDED, "runbook", KEY, "environment", "production", "outcome",
                "SUCCEEDED")).isEqualTo(1);
        assertThat(timerCount(RunMetrics.APPROVAL_WAIT, "runbook", KEY)).isEqualTo(1);
        assertThat(timerCount(RunMetrics.RUN_DURATION, "runbook", KEY)).isEqualTo(1);
        // the user task is a wait, not a step; no tag carries the run's id
        assertThat(timerCount(RunMetrics.STEP_DURATION, "activity", "Task_Approve")).isZero();
        assertThat(registry.getMeters()).flatExtracting(m -> m.getId().getTags())
                .noneMatch(t -> t.getValue().equals(pi));
    }

    @Test
    void aCanceledRunEndsCanceledAndACompletedOneWithoutOutcomeCompleted() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey(KEY, Map.of("environment", "staging"))
                .getId();
        engine.getRuntimeService().deleteProcessInstance(pi, "operator canceled", true);
        assertThat(counter(RunMetrics.RUNS_ENDED, "runbook", KEY, "environment", "staging", "outcome", "CANCELED"))
                .isEqualTo(1);
        // the approval task ended unanswered: its wait counts too
        assertThat(timerCount(RunMetrics.APPROVAL_WAIT, "runbook", KEY)).isEqualTo(1);
        assertThat(RunMetrics.outcome(null, false)).isEqualTo("COMPLETED");
    }

    @Test
    void aFailingStepThatRollsBackIsNotAStepThatEnded() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey("metrics-failing").getId();
        Job job = engine.getManagementService().createJobQuery().processInstanceId(pi).singleResult();
        assertThatThrownBy(() -> engine.getManagementService().executeJob(job.getId())).isNotNull();
        assertThat(timerCount(RunMetrics.STEP_DURATION, "activity", "Task_Fails")).isZero();
        assertThat(counter(RunMetrics.RUNS_ENDED)).isZero();
        assertThat(counter(RunMetrics.RUNS_STARTED, "runbook", "metrics-failing", "environment", RunMetrics.NONE))
                .isEqualTo(1);
    }

    @Test
    void aRefusedStartIsNoRun() {
        assertThatThrownBy(() -> engine.getRuntimeService().createProcessInstanceByKey(KEY)
                .startBeforeActivity("No_Such_Activity").execute()).isNotNull();
        assertThat(counter(RunMetrics.RUNS_STARTED)).isZero();
    }

    /** Misuse: forged start variables cannot create series of their own. */
    @Test
    void forgedOutcomeAndEnvironmentBecomeOtherNotNewSeries() {
        String pi = engine.getRuntimeService().startProcessInstanceByKey(KEY, Map.of("environment",
                "prod\"} 1\nevil", "outcome", "PWNED-" + UUID.randomUUID())).getId();
        String task = engine.getTaskService().createTaskQuery().processInstanceId(pi).singleResult().getId();
        engine.getRuntimeService().setVariable(pi, "outcome", "PWNED-" + UUID.randomUUID());
        engine.getRuntimeService().removeVariable(pi, "worked");
        // the end event sets SUCCEEDED: forge it after that is impossible, so check the mapping directly too
        engine.getTaskService().complete(task);
        assertThat(counter(RunMetrics.RUNS_STARTED, "runbook", KEY, "environment", RunMetrics.OTHER)).isEqualTo(1);
        assertThat(counter(RunMetrics.RUNS_ENDED, "runbook", KEY, "environment", RunMetrics.OTHER)).isEqualTo(1);
        assertThat(RunMetrics.outcome("PWNED", false)).isEqualTo("OTHER");
        assertThat(RunMetrics.outcome(42, true)).isEqualTo("OTHER");
        assertThat(RunMetrics.key("Task_X\"}")).isEqualTo(RunMetrics.OTHER);
        assertThat(registry.getMeters()).flatExtracting(m -> m.getId().getTags())
                .noneMatch(t -> t.getValue().contains("PWNED") || t.getValue().contains("evil"));
    }

    @Test
    void notificationCountersExistAtZeroForEveryChannelAndEvent() {
        for (String name : new String[] {RunMetrics.NOTIFICATIONS_SENT, RunMetrics.NOTIFICATIONS_FAILED}) {
            assertThat(registry.find(name).counters()).hasSize(16)
                    .allSatisfy(c -> assertThat(c.count()).isZero())
                    .allSatisfy(c -> assertThat(c.getId().getTags()).extracting(t -> t.getKey())
                            .containsExactly("channel", "event"));
        }
        // the notification code's own increments hit the same meters
        registry.counter(RunMetrics.NOTIFICATIONS_FAILED, "channel", "webhook", "event", "run-failed").increment();
        assertThat(counter(RunMetrics.NOTIFICATIONS_FAILED, "channel", "webhook", "event", "run-failed"))
                .isEqualTo(1);
        assertThat(registry.find(RunMetrics.NOTIFICATIONS_FAILED).counters()).hasSize(16);
    }

    @Test
    void durationHistogramsKeepFewBuckets() {
        var prometheus = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        RunMetrics metrics = new RunMetrics(prometheus, Set::of);
        metrics.stepDuration(KEY, "Task_Work", 1500);
        metrics.runDuration(KEY, 60_000);
        metrics.approvalWait(KEY, 3_600_000);
        String scrape = prometheus.scrape();
        assertThat(buckets(scrape, "opsflow_step_duration_seconds_bucket")).isEqualTo(15);
        assertThat(buckets(scrape, "opsflow_run_duration_seconds_bucket")).isBetween(20L, 80L);
        assertThat(buckets(scrape, "opsflow_approval_wait_seconds_bucket")).isBetween(20L, 80L);
    }

    static long buckets(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + "{")).count();
    }
}
