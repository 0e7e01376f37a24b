package io.opsflow.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.history.HistoryLevel;
import org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.builder.AbstractFlowNodeBuilder;
import org.camunda.bpm.model.bpmn.builder.ParallelGatewayBuilder;
import org.camunda.bpm.model.bpmn.builder.ProcessBuilder;
import org.camunda.bpm.engine.spring.SpringProcessEngineConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.opsflow.platform.approval.ApprovalRecords;
import io.opsflow.platform.locks.RunbookLocks;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.OpsflowEnginePlugin;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.platform.runbook.RunbookRegistry;
import io.opsflow.step.lease.JobLease;
import io.opsflow.testsupport.TestEngines;

/**
 * A process engine configured like the application's (application.yaml: history full, JSON variables, the job
 * executor's pool, lock time and acquisition size, the opsflow platform plugin with input validation, locks and the
 * job lease), built outside a Spring context so that a case can switch one thing (database, lease) and nothing else.
 * Like the application (Camunda's Spring Boot starter) the engine runs in Spring transactions on its data source, so
 * opsflow's own statements (run record, locks) are part of the engine's transaction;
 * {@code -Dopsflow.bench.spring-tx=false} builds a standalone engine instead (the harness before 2026-12-07: those
 * statements then commit on connections of their own, one commit each, which the application never does).
 */
final class BenchEngine implements AutoCloseable {
    static final long LOCK_TIME_MILLIS = 120_000;
    final ProcessEngine engine;
    final HikariDataSource dataSource;

    private BenchEngine(ProcessEngine engine, HikariDataSource dataSource) {
        this.engine = engine;
        this.dataSource = dataSource;
    }

    static HikariDataSource h2() {
        return pool("jdbc:h2:mem:bench-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", "org.h2.Driver");
    }

    static HikariDataSource pool(String url, String user, String password, String driver) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setDriverClassName(driver);
        c.setMaximumPoolSize(20); // application.yaml: spring.datasource.hikari.maximum-pool-size
        return new HikariDataSource(c);
    }

    /** Builds the engine with the job executor stopped; {@link #startJobExecutor()} starts it. */
    static BenchEngine build(HikariDataSource ds, boolean lease, Map<String, Object> beans) {
        return build(ds, lease, beans, true);
    }

    /** {@code platform=false}: the bare engine, without opsflow's plugin (input validation, locks, guards, lease). */
    static BenchEngine build(HikariDataSource ds, boolean lease, Map<String, Object> beans, boolean platform) {
        return build(ds, lease, beans, platform, Boolean.parseBoolean(System.getProperty("opsflow.bench.spring-tx", "true")));
    }

    /**
     * {@code springTransactions}: as in the application (Camunda's Spring Boot starter), the engine runs in Spring
     * transactions on the data source, so opsflow's own SQL (JdbcTemplate: run record, locks) joins the engine's
     * transaction; else a standalone engine, whose JdbcTemplate statements commit on their own connections.
     */
    static BenchEngine build(HikariDataSource ds, boolean lease, Map<String, Object> beans, boolean platform,
                             boolean springTransactions) {
        ProcessEngineConfigurationImpl cfg;
        if (springTransactions) {
            SpringProcessEngineConfiguration spring = new SpringProcessEngineConfiguration();
            spring.setTransactionManager(new DataSourceTransactionManager(ds));
            cfg = spring;
        } else {
            cfg = new StandaloneProcessEngineConfiguration();
            cfg.setTransactionsExternallyManaged(false);
        }
        cfg.setDataSource(ds);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE);
        cfg.setHistoryLevel(HistoryLevel.HISTORY_LEVEL_FULL);
        cfg.setEnableExceptionsAfterUnhandledBpmnError(true);
        cfg.setJavaSerializationFormatEnabled(false);
        cfg.setDefaultSerializationFormat("application/json");
        cfg.setProcessEngineName("bench-" + UUID.randomUUID());
        cfg.setMetricsEnabled(false);
        cfg.setBeans(new java.util.HashMap<Object, Object>(beans));
        cfg.setJobExecutorActivate(false);
        cfg.setFailedJobRetryTimeCycle("R3/PT1M");
        // what-if of the history cleanup strategy (not the application's setting): "none" = no removal time, so no
        // bulk UPDATE of every history table when a run ends; history cleanup then has to go by end time
        String removalTime = System.getProperty("opsflow.bench.removal-time");
        if (removalTime != null) {
            cfg.setHistoryRemovalTimeStrategy(removalTime);
            if ("none".equals(removalTime)) {
                cfg.setHistoryCleanupStrategy(ProcessEngineConfiguration.HISTORY_CLEANUP_STRATEGY_END_TIME_BASED);
            }
        }
        DefaultJobExecutor je = new DefaultJobExecutor();
        // application.yaml camunda.bpm.job-execution
        je.setCorePoolSize(4);
        je.setMaxPoolSize(8);
        je.setQueueSize(4);
        je.setLockTimeInMillis((int) LOCK_TIME_MILLIS);
        je.setWaitTimeInMillis(2000);
        je.setMaxWait(30000);
        je.setMaxJobsPerAcquisition(4);
        cfg.setJobExecutor(je);
        cfg.getProcessEnginePlugins().add(new org.camunda.spin.plugin.impl.SpinProcessEnginePlugin());
        RunbookRegistry registry = new RunbookRegistry(List.of(runbook("bench-noop"), runbook("bench-async"),
                runbook("bench-ssh-seq"), runbook("bench-ssh-parallel"), runbook("bench-noop-seq")));
        JobLease jobLease = lease ? new JobLease(ds, LOCK_TIME_MILLIS, "") : null;
        RunbookLocks[] locks = new RunbookLocks[1];
        ApprovalRecords[] records = new ApprovalRecords[1];
        var environments = TestEngines.defaultEnvironments();
        if (platform) {
            // locks and approval records are created right after the engine (their tables need its schema)
            cfg.getProcessEnginePlugins().add(new OpsflowEnginePlugin(() -> registry, () -> environments,
                    () -> locks[0], () -> jobLease, () -> records[0]));
            cfg.getProcessEnginePlugins().add(new io.opsflow.step.lease.ConflictsRetryAtOnce());
        }
        ProcessEngine engine = cfg.buildProcessEngine();
        // the platform's own tables, created once (the application creates them at startup, single-threaded)
        if (platform) {
            locks[0] = new RunbookLocks(new JdbcTemplate(ds));
            records[0] = new ApprovalRecords(new JdbcTemplate(ds), null);
        }
        var d = engine.getRepositoryService().createDeployment().name("bench");
        d.addModelInstance("bench-noop.bpmn", Bpmn.createExecutableProcess("bench-noop")
                .camundaHistoryTimeToLive(1).startEvent().endEvent().done());
        d.addModelInstance("bench-async.bpmn", chain("bench-async", 10, "${noop}"));
        d.addModelInstance("bench-ssh-seq.bpmn", chain("bench-ssh-seq", 50, "${sshCommand}"));
        d.addModelInstance("bench-noop-seq.bpmn", chain("bench-noop-seq", 50, "${noop}"));
        d.addModelInstance("bench-ssh-parallel.bpmn", parallel("bench-ssh-parallel", 20, "${sshCommand}"));
        d.deploy();
        return new BenchEngine(engine, ds);
    }

    void startJobExecutor() {
        ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration()).getJobExecutor().start();
    }

    /** start → n async service tasks → end. */
    static BpmnModelInstance chain(String key, int n, String delegate) {
        AbstractFlowNodeBuilder<?, ?> b = Bpmn.createExecutableProcess(key).camundaHistoryTimeToLive(1)
                .startEvent("Start");
        for (int i = 1; i <= n; i++) {
            b = b.serviceTask("Task_Step" + i).camundaAsyncBefore().camundaDelegateExpression(delegate);
        }
        return b.endEvent("End").done();
    }

    /**
     * start → fork → n branches, each one async, NON-exclusive service task → join → end. Camunda runs the jobs of one
     * instance one at a time unless they are marked {@code camunda:exclusive="false"}: only then do the branches run
     * at the same time (and can conflict at the join, which {@code ConflictsRetryAtOnce} retries at once).
     */
    static BpmnModelInstance parallel(String key, int n, String delegate) {
        ProcessBuilder p = Bpmn.createExecutableProcess(key).camundaHistoryTimeToLive(1);
        ParallelGatewayBuilder fork = p.startEvent("Start").parallelGateway("Gateway_Fork");
        fork.serviceTask("Task_Branch1").camundaAsyncBefore().camundaExclusive(false)
                .camundaDelegateExpression(delegate)
                .parallelGateway("Gateway_Join").endEvent("End");
        for (int i = 2; i <= n; i++) {
            fork.moveToNode("Gateway_Fork").serviceTask("Task_Branch" + i).camundaAsyncBefore()
                    .camundaExclusive(false).camundaDelegateExpression(delegate).connectTo("Gateway_Join");
        }
        return fork.done();
    }

    private static RunbookDefinition runbook(String key) {
        List<InputSpec> inputs = new ArrayList<>();
        if (key.startsWith("bench-ssh") || key.equals("bench-noop-seq")) { // same inputs, same variables
            inputs.add(InputSpec.text("host"));
            inputs.add(InputSpec.integer("sshPort"));
            inputs.add(InputSpec.text("sshUser"));
            inputs.add(InputSpec.pattern("command", "\\[.*\\]", "a JSON argv"));
        }
        return new RunbookDefinition() {
            @Override
            public String processKey() {
                return key;
            }

            @Override
            public List<InputSpec> inputs() {
                return inputs;
            }
        };
    }

    /** Waits until no job is left (or the timeout passes); returns whether all were done. */
    boolean awaitNoJobs(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (engine.getManagementService().createJobQuery().count() == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Waits until the process instance ended; returns whether it did before the timeout. */
    boolean awaitEnd(String processInstanceId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(processInstanceId)
                    .count() == 0) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            dataSource.close();
        }
    }
}
