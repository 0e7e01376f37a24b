package io.opsflow.step.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * How a leased job that fails is handled, with the job executor running (lock time 1 s, so the lease heartbeats every
 * 250 ms):
 * <ul>
 * <li>a step that fails after the lease moved its lock goes through the engine's failure handling (a retry used up,
 * the job unlocked) instead of being taken for re-acquired and left locked;</li>
 * <li>a step that fails on an optimistic-locking conflict is retried at once ({@link ConflictsRetryAtOnce}): no retry
 * interval waited (Camunda itself never uses up a retry for a conflict, but waits the interval, a minute in opsflow);
 * one that keeps conflicting falls back to that after {@value ConflictsRetryAtOnce#MAX_IMMEDIATE} tries.</li>
 * </ul>
 */
class LeaseFailureHandlingIT {
    private static final long LOCK_MILLIS = 1000;
    private ProcessEngine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private ProcessEngine engine(JavaDelegate step) {
        String db = "jdbc:h2:mem:lease-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        DriverManagerDataSource ds = new DriverManagerDataSource(db, "sa", "");
        ds.setDriverClassName("org.h2.Driver");
        JobLease lease = new JobLease(ds, LOCK_MILLIS, "");
        StandaloneProcessEngineConfiguration cfg = new StandaloneProcessEngineConfiguration();
        cfg.setDataSource(ds);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setProcessEngineName("lease-" + UUID.randomUUID());
        cfg.setFailedJobRetryTimeCycle("R3/PT1M");
        Map<Object, Object> beans = new HashMap<>();
        beans.put("step", (JavaDelegate) execution -> {
            lease.holdUntilTransactionEnds();
            step.execute(execution);
        });
        cfg.setBeans(beans);
        DefaultJobExecutor je = new DefaultJobExecutor();
        je.setLockTimeInMillis((int) LOCK_MILLIS);
        je.setWaitTimeInMillis(50);
        je.setMaxWait(200);
        cfg.setJobExecutor(je);
        cfg.setJobExecutorActivate(true);
        cfg.getProcessEnginePlugins().add(new ConflictsRetryAtOnce());
        engine = ((ProcessEngineConfigurationImpl) cfg).buildProcessEngine();
        engine.getRepositoryService().createDeployment().addModelInstance("p.bpmn",
                Bpmn.createExecutableProcess("p").camundaHistoryTimeToLive(1).startEvent()
                        .serviceTask("Task_Step").camundaAsyncBefore().camundaDelegateExpression("${step}")
                        .endEvent().done()).deploy();
        return engine;
    }

    @Test
    void aStepFailingAfterTheLeaseMovedItsLockIsHandledAsAFailure() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        engine(execution -> {
            runs.incrementAndGet();
            Thread.sleep(700); // the lease has moved the lock at least twice by now
            throw new IllegalStateException("the step failed");
        });
        String pi = engine.getRuntimeService().startProcessInstanceByKey("p").getId();

        Job job = await(pi, j -> j.getRetries() < 3, Duration.ofSeconds(10));
        assertThat(job.getRetries()).as("a retry used up").isEqualTo(2);
        assertThat(job.getExceptionMessage()).contains("the step failed");
        assertThat(job.getDuedate()).as("waits for the retry interval").isAfter(new java.util.Date());
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void anOptimisticLockingConflictIsRetriedAtOnceWithoutUsingARetry() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        engine(execution -> {
            if (runs.incrementAndGet() <= 2) {
                throw new OptimisticLockingException("another job changed the same execution");
            }
        });
        long start = System.nanoTime();
        String pi = engine.getRuntimeService().startProcessInstanceByKey("p").getId();

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi).count() > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi).count())
                .as("ended after two conflicts, long before a retry interval (1 min) or a lock time").isZero();
        assertThat(runs.get()).isEqualTo(3);
        assertThat(engine.getHistoryService().createHistoricIncidentQuery().processInstanceId(pi).count()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aJobThatKeepsConflictingFallsBackToTheUsualRetries() throws Exception {
        engine(execution -> {
            throw new OptimisticLockingException("always");
        });
        String pi = engine.getRuntimeService().startProcessInstanceByKey("p").getId();
        // the engine's own rule for conflicts: no retry used up, but the retry interval (1 min) is waited
        Job job = await(pi, j -> j.getDuedate() != null && j.getDuedate().after(new java.util.Date(
                System.currentTimeMillis() + 30_000)), Duration.ofSeconds(20));
        assertThat(job.getRetries()).isEqualTo(3);
        assertThat(job.getExceptionMessage()).isEqualTo("always");
    }

    private Job await(String pi, java.util.function.Predicate<Job> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Job j = engine.getManagementService().createJobQuery().processInstanceId(pi).singleResult();
            if (j != null && done.test(j)) {
                return j;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job of " + pi + " not handled within " + timeout + ": "
                + engine.getManagementService().createJobQuery().processInstanceId(pi).singleResult());
    }
}
