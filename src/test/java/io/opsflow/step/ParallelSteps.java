package io.opsflow.step;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.builder.ParallelGatewayBuilder;
import org.camunda.bpm.model.bpmn.builder.ServiceTaskBuilder;

import io.opsflow.step.lease.ConflictsRetryAtOnce;

/**
 * A step kind run {@value #WIDTH} times at once in one run (issue 13, "steps compose in parallel"): as
 * {@value #WIDTH} parallel branches (each task configured by input parameters, so each is a scope; branch 1 maps
 * one output with {@code camunda:outputParameter}) and as a parallel multi-instance (the element variable is the step's
 * input, no mappings: the outputs land on each instance's own execution).
 * <p>
 * Every step job runs on a thread of its own and the step waits ({@link #together()}) until all {@value #WIDTH} are
 * inside, so their transactions overlap: a step that wrote a process-level variable would make them conflict. The
 * steps are {@code asyncAfter}: the join (or the multi-instance's completion) runs in jobs of its own, executed
 * {@value #WIDTH} at once as well; they do conflict on the join and must be retried at once
 * ({@link ConflictsRetryAtOnce}, the retry cycle is a minute as in opsflow): never locked, delayed or short of a
 * retry after a conflict.
 */
public final class ParallelSteps implements AutoCloseable {
    public static final int WIDTH = 20;
    private static final int RETRIES = 3;

    private final ProcessEngine engine;
    private final ExecutorService threads = Executors.newFixedThreadPool(WIDTH);
    private volatile CountDownLatch inside = new CountDownLatch(WIDTH);

    /** An engine with {@code delegates} as beans; job executor off, {@value #WIDTH}+ connections. */
    public ParallelSteps(Map<Object, Object> delegates) {
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setJdbcUrl("jdbc:h2:mem:parallel-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        cfg.setJdbcMaxActiveConnections(2 * WIDTH + 5);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setJobExecutorActivate(false);
        cfg.setHistory(ProcessEngineConfiguration.HISTORY_FULL);
        cfg.setEnableExceptionsAfterUnhandledBpmnError(true);
        cfg.setFailedJobRetryTimeCycle("R" + RETRIES + "/PT1M");
        cfg.setProcessEngineName("parallel-" + UUID.randomUUID());
        cfg.setBeans(delegates);
        cfg.getProcessEnginePlugins().add(new ConflictsRetryAtOnce());
        engine = ((ProcessEngineConfigurationImpl) cfg).buildProcessEngine();
    }

    public ProcessEngine engine() {
        return engine;
    }

    /**
     * Deploys process {@code branches}: {@value #WIDTH} branches Task_Branch1..N of {@code ${bean}}, branch i with
     * the input parameters {@code inputs.apply(i)}; branch 1 also maps output {@code mappedOutput} to
     * {@code branch1Output}; all join before user task Task_Inspect.
     */
    public void deployBranches(String bean, Function<Integer, Map<String, String>> inputs, String mappedOutput) {
        ParallelGatewayBuilder fork = Bpmn.createExecutableProcess("branches").camundaHistoryTimeToLive(1)
                .startEvent().parallelGateway("Gateway_Fork");
        for (int i = 1; i <= WIDTH; i++) {
            ServiceTaskBuilder task = fork.moveToNode("Gateway_Fork").serviceTask("Task_Branch" + i)
                    .camundaAsyncBefore().camundaAsyncAfter().camundaDelegateExpression("${" + bean + "}");
            inputs.apply(i).forEach(task::camundaInputParameter);
            if (i == 1) {
                task.camundaOutputParameter("branch1Output", "${" + mappedOutput + "}")
                        .parallelGateway("Gateway_Join").userTask("Task_Inspect").endEvent();
            } else {
                task.connectTo("Gateway_Join");
            }
        }
        engine.getRepositoryService().createDeployment().addModelInstance("branches.bpmn", fork.done()).deploy();
    }

    /**
     * Deploys process {@code fanout}: Task_Each, a parallel multi-instance of {@code ${bean}} over the list variable
     * {@code items}, its element variable named {@code input} (the step reads it as its input), before Task_Inspect.
     */
    public void deployMultiInstance(String bean, String input) {
        engine.getRepositoryService().createDeployment().addModelInstance("fanout.bpmn",
                Bpmn.createExecutableProcess("fanout").camundaHistoryTimeToLive(1).startEvent()
                        .serviceTask("Task_Each").camundaDelegateExpression("${" + bean + "}")
                        .multiInstance().parallel().camundaAsyncBefore().camundaAsyncAfter()
                        .camundaCollection("${items}").camundaElementVariable(input)
                        .multiInstanceDone()
                        .userTask("Task_Inspect").endEvent().done())
                .deploy();
    }

    /**
     * Called by a scripted step in {@code branches} or {@code fanout}: returns once all {@value #WIDTH} steps of the
     * round are inside their step.
     */
    public void together() {
        CountDownLatch latch = inside;
        latch.countDown();
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (WIDTH - latch.getCount()) + " of " + WIDTH
                        + " steps were running at once");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts process {@code branches} and runs it to Task_Inspect ({@link #runToInspect}); returns the run's id. */
    public String runBranches() throws Exception {
        String pi = engine.getRuntimeService().startProcessInstanceByKey("branches").getId();
        runToInspect(pi);
        return pi;
    }

    /** Starts process {@code fanout} with {@code variables} (its list {@code items}) and runs it to Task_Inspect. */
    public String runMultiInstance(Map<String, Object> variables) throws Exception {
        String pi = engine.getRuntimeService().startProcessInstanceByKey("fanout", variables).getId();
        runToInspect(pi);
        return pi;
    }

    /**
     * Runs the run's {@value #WIDTH} step jobs at once (each must succeed first time: no conflict at all), then its
     * join jobs, {@value #WIDTH} at once, round after round: a job that conflicted must be ready to run again at once
     * (unlocked, not delayed, no retry used up). Returns when the run waits at Task_Inspect.
     */
    public void runToInspect(String processInstanceId) throws Exception {
        inside = new CountDownLatch(WIDTH);
        List<Job> steps = jobs(processInstanceId);
        assertThat(steps).hasSize(WIDTH);
        assertThat(executeAtOnce(steps)).as("step jobs that failed (a step of one branch conflicted with another)")
                .isEmpty();
        for (int round = 1; ; round++) {
            List<Job> joins = jobs(processInstanceId);
            if (joins.isEmpty()) {
                break;
            }
            assertThat(round).as("rounds of join jobs").isLessThanOrEqualTo(WIDTH);
            for (Throwable t : executeAtOnce(joins)) {
                assertThat(t).as("a join job failed on something other than a conflict")
                        .isInstanceOf(OptimisticLockingException.class);
            }
            Date now = new Date();
            for (Job j : jobs(processInstanceId)) {
                assertThat(j.getRetries()).as("a conflict uses up no retry").isEqualTo(RETRIES);
                assertThat(j.getDuedate() == null || !j.getDuedate().after(now))
                        .as("a conflicted job is not held: due " + j.getDuedate()).isTrue();
                assertThat(((JobEntity) j).getLockExpirationTime()).as("a conflicted job is not left locked").isNull();
            }
        }
        assertThat(engine.getTaskService().createTaskQuery().processInstanceId(processInstanceId).singleResult()
                .getTaskDefinitionKey()).isEqualTo("Task_Inspect");
    }

    /** What the run holds at process level now, after checking that none of {@code outputs} is there. */
    public Map<String, Object> processLevelWithout(String processInstanceId, String... outputs) {
        Map<String, Object> vars = engine.getRuntimeService().getVariablesLocal(processInstanceId);
        assertThat(vars).as("process-level variables: no step output may be among them").doesNotContainKeys(outputs);
        return vars;
    }

    /** Every value the run ever gave variable {@code name}, in any scope. */
    public List<Object> everyValueOf(String processInstanceId, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(processInstanceId)
                .variableName(name).list().stream().map(HistoricVariableInstance::getValue).toList();
    }

    private List<Job> jobs(String processInstanceId) {
        return engine.getManagementService().createJobQuery().processInstanceId(processInstanceId).list();
    }

    private List<Throwable> executeAtOnce(List<Job> jobs) throws Exception {
        List<Future<?>> running = new ArrayList<>();
        for (Job j : jobs) {
            running.add(threads.submit(() -> engine.getManagementService().executeJob(j.getId())));
        }
        List<Throwable> failures = new ArrayList<>();
        for (Future<?> f : running) {
            try {
                f.get(2, TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException e) {
                failures.add(e.getCause());
            }
        }
        return failures;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        engine.close();
    }
}
