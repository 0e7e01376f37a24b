package io.opsflow.step.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepCancelledException;
import io.opsflow.step.exec.StepLogs;

/**
 * How a leased job that fails is handled, with the job executor running (lock time 1 s, so the lease heartbeats every
 * 250 ms):
 * <ul>
 * <li>a step that fails after the lease moved its lock goes through the engine's failure handling (a retry used up,
 * the job unlocked) instead of being taken for re-acquired and left locked;</li>
 * <li>a step that fails on an optimistic-locking conflict is retried at once ({@link ConflictsRetryAtOnce}): no retry
 * interval waited (Camunda itself never uses up a retry for a conflict, but waits the interval, a minute in opsflow);
 * one that keeps conflicting falls back to that after {@value ConflictsRetryAtOnce#MAX_IMMEDIATE} tries;</li>
 * <li>a step whose lease is lost (forged here: the job row's {@code LOCK_OWNER_} changed by another connection, as
 * when another node acquired it) is stopped: its running command is killed, the job fails, nothing of it commits —
 * also when the step swallows the stop and tries to finish.</li>
 * </ul>
 */
class LeaseFailureHandlingIT {
    private static final long LOCK_MILLIS = 1000;
    private ProcessEngine engine;
    private DriverManagerDataSource ds;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private ProcessEngine engine(JavaDelegate step) {
        String db = "jdbc:h2:mem:lease-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        ds = new DriverManagerDataSource(db, "sa", "");
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

    @Test
    void aLostLeaseKillsTheRunningCommandAndFailsTheJobWithoutCompleting() throws Exception {
        String marker = "611." + (System.nanoTime() % 100000);
        SleepingStep step = new SleepingStep(marker, false);
        String pi = step.start();
        String jobId = forgeAnotherLockOwnerOnceExtended(pi);

        step.sleep.onExit().get(30, TimeUnit.SECONDS);
        assertThat(step.outcome.get(30, TimeUnit.SECONDS)).as("the step's transaction")
                .isEqualTo(TransactionState.ROLLED_BACK);
        assertThat(step.thrown.get()).isInstanceOf(StepCancelledException.class)
                .hasMessageContaining("job lease lost for job " + jobId)
                .hasMessageContaining("no longer locked by").hasMessageContaining("command killed: sleep " + marker);
        assertNothingCommitted(pi, step.runs);
    }

    @Test
    void aStepThatSwallowsTheStopStillCannotCommit() throws Exception {
        SleepingStep step = new SleepingStep("612." + (System.nanoTime() % 100000), true);
        String pi = step.start();
        forgeAnotherLockOwnerOnceExtended(pi);

        step.sleep.onExit().get(30, TimeUnit.SECONDS);
        assertThat(step.outcome.get(30, TimeUnit.SECONDS)).as("the commit guard refused the commit")
                .isEqualTo(TransactionState.ROLLED_BACK);
        assertNothingCommitted(pi, step.runs);
    }

    /** A step that runs {@code sleep <marker>} through CommandRunner, then sets {@code completed}. */
    private final class SleepingStep {
        final String marker;
        final boolean swallowTheStop;
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final CompletableFuture<TransactionState> outcome = new CompletableFuture<>();
        final AtomicInteger runs = new AtomicInteger();
        ProcessHandle sleep;

        SleepingStep(String marker, boolean swallowTheStop) {
            this.marker = marker;
            this.swallowTheStop = swallowTheStop;
        }

        /** Starts a run and returns its id once the command runs. */
        String start() throws InterruptedException {
            engine(execution -> {
                runs.incrementAndGet();
                recordOutcome(outcome);
                try {
                    new CommandRunner().run(CommandSpec.of("sleep", marker).build(), StepLogs.noop());
                } catch (RuntimeException e) {
                    thrown.set(e);
                    if (!swallowTheStop) { // a careless step carries on as if the command had ended
                        throw e;
                    }
                }
                execution.setVariable("completed", true);
            });
            String pi = engine.getRuntimeService().startProcessInstanceByKey("p").getId();
            sleep = awaitProcess(marker);
            return pi;
        }
    }

    private static void recordOutcome(CompletableFuture<TransactionState> outcome) {
        var tx = Context.getCommandContext().getTransactionContext();
        tx.addTransactionListener(TransactionState.COMMITTED, c -> outcome.complete(TransactionState.COMMITTED));
        tx.addTransactionListener(TransactionState.ROLLED_BACK, c -> outcome.complete(TransactionState.ROLLED_BACK));
    }

    /**
     * Once the heartbeat has moved the job's lock, does what another node's acquisition does to the row: locks it for
     * that node (for 10 minutes, so nothing acquires it again during the test).
     */
    private String forgeAnotherLockOwnerOnceExtended(String pi) throws InterruptedException {
        Job job = engine.getManagementService().createJobQuery().processInstanceId(pi).singleResult();
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        java.sql.Timestamp first = jdbc.queryForObject("SELECT LOCK_EXP_TIME_ FROM ACT_RU_JOB WHERE ID_ = ?",
                java.sql.Timestamp.class, job.getId());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (first.equals(jdbc.queryForObject("SELECT LOCK_EXP_TIME_ FROM ACT_RU_JOB WHERE ID_ = ?",
                java.sql.Timestamp.class, job.getId())) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        int n = jdbc.update("UPDATE ACT_RU_JOB SET LOCK_OWNER_ = 'node-b', LOCK_EXP_TIME_ = ? WHERE ID_ = ?",
                new java.sql.Timestamp(System.currentTimeMillis() + 600_000), job.getId());
        assertThat(n).isEqualTo(1);
        return job.getId();
    }

    private void assertNothingCommitted(String pi, AtomicInteger runs) {
        assertThat(runs.get()).isEqualTo(1);
        assertThat(engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi).count())
                .as("the run did not move on").isEqualTo(1);
        assertThat(engine.getRuntimeService().getActivityInstance(pi).getChildTransitionInstances())
                .as("still waiting before the step").extracting(t -> t.getActivityId()).containsExactly("Task_Step");
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName("completed").count()).as("nothing of the stopped execution committed").isZero();
        Job job = engine.getManagementService().createJobQuery().processInstanceId(pi).singleResult();
        assertThat(job.getRetries()).as("left to the node that holds it now: no retry used up here").isEqualTo(3);
        assertThat(new JdbcTemplate(ds).queryForObject("SELECT LOCK_OWNER_ FROM ACT_RU_JOB WHERE ID_ = ?",
                String.class, job.getId())).isEqualTo("node-b");
    }

    private static ProcessHandle awaitProcess(String marker) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var found = ProcessHandle.current().descendants()
                    .filter(ph -> ph.info().commandLine().orElse("").contains(marker)).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no process running sleep " + marker);
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
