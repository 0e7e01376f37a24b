package io.opsflow.testsupport;

import java.util.List;
import java.util.UUID;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.history.HistoryLevel;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.MockExpressionManager;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.platform.approval.ApprovalRecords;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.platform.locks.RunbookLocks;
import io.opsflow.platform.runbook.OpsflowEnginePlugin;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.platform.runbook.RunbookRegistry;

/**
 * An in-memory engine for *ProcessTest classes with the platform wired in exactly as in the application (input
 * validation, locks, four-eyes guard), the job executor off (tests execute jobs), and {@code Mocks.register(...)}
 * for delegate beans.
 * <pre>
 * &#64;RegisterExtension
 * static ProcessEngineExtension engine = TestEngines.extension(envs, new ReleaseVersionRunbook());
 * </pre>
 */
public final class TestEngines {
    private TestEngines() {
    }

    public static ProcessEngineExtension extension(Environments environments, RunbookDefinition... runbooks) {
        return extension(environments, List.of(), runbooks);
    }

    /**
     * Binds Camunda BPM Assert to this class's engine before each test (several engines live in one test JVM) and
     * closes the engine after the class, so engines never pile up across test classes.
     */
    static final class BoundEngineExtension extends ProcessEngineExtension {
        private final Environments environments;
        private final java.util.function.Supplier<ApprovalRecords> records;

        BoundEngineExtension(Environments environments, java.util.function.Supplier<ApprovalRecords> records) {
            this.environments = environments;
            this.records = records;
        }

        /**
         * Also registers the platform's own listener beans the diagrams name, wired to this engine's environments and
         * records as in the application: the maintenance window gate ({@code ${planMaintenanceWindow}},
         * {@code ${checkApprovalAge}}).
         */
        @Override
        public void beforeTestExecution(org.junit.jupiter.api.extension.ExtensionContext context) {
            super.beforeTestExecution(context);
            org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.init(getProcessEngine());
            org.camunda.bpm.engine.test.mock.Mocks.register("planMaintenanceWindow",
                    new io.opsflow.platform.approval.MaintenanceWindowGate.Plan(environments));
            org.camunda.bpm.engine.test.mock.Mocks.register("checkApprovalAge",
                    new io.opsflow.platform.approval.MaintenanceWindowGate.ApprovalAge(environments, records.get()));
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            try {
                super.afterAll(context);
            } finally {
                org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.reset();
                getProcessEngine().close();
            }
        }
    }

    /** As {@link #extension(Environments, RunbookDefinition...)} with more engine plugins (notifications, say). */
    public static ProcessEngineExtension extension(Environments environments,
                                                   List<org.camunda.bpm.engine.impl.cfg.ProcessEnginePlugin> plugins,
                                                   RunbookDefinition... runbooks) {
        List<java.util.function.Supplier<ApprovalRecords>> records = new java.util.ArrayList<>();
        ProcessEngine engine = engine(environments, plugins, records, runbooks);
        BoundEngineExtension ext = new BoundEngineExtension(environments, records.get(0));
        ext.useProcessEngine(engine);
        return ext;
    }

    public static ProcessEngine engine(Environments environments, RunbookDefinition... runbooks) {
        return engine(environments, List.of(), new java.util.ArrayList<>(), runbooks);
    }

    public static ProcessEngine engine(Environments environments,
                                       List<org.camunda.bpm.engine.impl.cfg.ProcessEnginePlugin> plugins,
                                       RunbookDefinition... runbooks) {
        return engine(environments, plugins, new java.util.ArrayList<>(), runbooks);
    }

    /** Adds to {@code recordsOut} the supplier of the engine's approval records (created lazily, once the schema exists). */
    static ProcessEngine engine(Environments environments,
                                List<org.camunda.bpm.engine.impl.cfg.ProcessEnginePlugin> plugins,
                                List<java.util.function.Supplier<ApprovalRecords>> recordsOut,
                                RunbookDefinition... runbooks) {
        ApprovalRecords[] records = new ApprovalRecords[1];
        String db = "jdbc:h2:mem:pt-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        DriverManagerDataSource ds = new DriverManagerDataSource(db, "sa", "");
        ds.setDriverClassName("org.h2.Driver");
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setDataSource(ds);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setJobExecutorActivate(false);
        cfg.setHistoryLevel(HistoryLevel.HISTORY_LEVEL_FULL);
        cfg.setExpressionManager(new MockExpressionManager());
        cfg.setEnableExceptionsAfterUnhandledBpmnError(true);
        cfg.setJavaSerializationFormatEnabled(false);
        cfg.setDefaultSerializationFormat("application/json");
        cfg.setDeserializationTypeValidationEnabled(true);
        cfg.getProcessEnginePlugins().add(new org.camunda.spin.plugin.impl.SpinProcessEnginePlugin());
        cfg.setProcessEngineName("pt-" + UUID.randomUUID());
        RunbookRegistry registry = new RunbookRegistry(List.of(runbooks));
        // the lock table lives in the same database; created lazily once the engine schema exists
        RunbookLocks[] locks = new RunbookLocks[1];
        java.util.function.Supplier<ApprovalRecords> lazyRecords = () -> {
            synchronized (records) {
                if (records[0] == null) {
                    records[0] = new ApprovalRecords(new JdbcTemplate(ds), null);
                }
                return records[0];
            }
        };
        recordsOut.add(lazyRecords);
        OpsflowEnginePlugin plugin = new OpsflowEnginePlugin(() -> registry, () -> environments, () -> {
            if (locks[0] == null) {
                locks[0] = new RunbookLocks(new JdbcTemplate(ds));
            }
            return locks[0];
        }, () -> null, lazyRecords);
        cfg.getProcessEnginePlugins().add(plugin);
        cfg.getProcessEnginePlugins().addAll(plugins);
        ProcessEngineConfigurationImpl impl = cfg;
        return impl.buildProcessEngine();
    }

    /** The default environments of the application: staging (no approval) and production (approval). */
    public static Environments defaultEnvironments() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec staging = new EnvironmentsProperties.EnvironmentSpec();
        staging.setApprovalReminder(java.time.Duration.ofMinutes(30));
        staging.setApprovalDeadline(java.time.Duration.ofHours(2));
        EnvironmentsProperties.EnvironmentSpec prod = new EnvironmentsProperties.EnvironmentSpec();
        prod.setRequiresApproval(true);
        prod.setApprovalReminder(java.time.Duration.ofMinutes(30));
        prod.setApprovalDeadline(java.time.Duration.ofHours(2));
        p.getEnvironments().put("staging", staging);
        p.getEnvironments().put("production", prod);
        return new Environments(p);
    }

    /**
     * Executes the instance's due jobs, swallowing their failures, until it has an incident, and returns it; fails when
     * no job is left first.
     */
    public static org.camunda.bpm.engine.runtime.Incident runUntilIncident(ProcessEngine engine,
                                                                           String processInstanceId) {
        for (int guard = 0; guard < 50; guard++) {
            org.camunda.bpm.engine.runtime.Incident incident = engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(processInstanceId).singleResult();
            if (incident != null) {
                return incident;
            }
            List<org.camunda.bpm.engine.runtime.Job> jobs = engine.getManagementService().createJobQuery()
                    .processInstanceId(processInstanceId).executable().list();
            if (jobs.isEmpty()) {
                throw new AssertionError("no job left and no incident in " + processInstanceId);
            }
            try {
                engine.getManagementService().executeJob(jobs.get(0).getId());
            } catch (RuntimeException expected) {
                // retried (or refused at once) until the incident
            }
        }
        throw new AssertionError("no incident in " + processInstanceId);
    }

    /** Executes the instance's executable jobs one at a time until none is left (a failing job throws). */
    public static void runJobs(ProcessEngine engine, String processInstanceId) {
        for (int guard = 0; guard < 200; guard++) {
            List<org.camunda.bpm.engine.runtime.Job> jobs = engine.getManagementService().createJobQuery()
                    .processInstanceId(processInstanceId).executable().list();
            if (jobs.isEmpty()) {
                return;
            }
            engine.getManagementService().executeJob(jobs.get(0).getId());
        }
        throw new AssertionError("jobs of " + processInstanceId + " did not settle");
    }
}
