package io.opsflow.backup;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.lenient;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.springframework.jdbc.core.JdbcTemplate;

import io.opsflow.testsupport.Approve;
import io.opsflow.backup.delegate.*;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.CatalogTestSupport;
import io.opsflow.database.DirectoryOffsiteStore;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Sha256;
import io.opsflow.database.Vars;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.platform.locks.ReleaseRunbookLockDelegate;
import io.opsflow.platform.locks.RunbookLocks;
import io.opsflow.platform.locks.TryRunbookLockDelegate;
import io.opsflow.step.exec.StepLogs;

/**
 * Shared setup of the backup/restore/migration process tests: environments with databases and a directory, the real
 * catalog, locks, retention and a directory offsite store (in the engine's in-memory database and a temp dir), and
 * all delegates registered over mocked ports.
 */
public final class BackupFixtures {
    private BackupFixtures() {
    }

    /** staging: appdb (postgres) + uploads (files), no approval; production: appdb (postgres), approval. */
    public static Environments environments() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        p.getEnvironments().put("staging", env(false, "appdb", "postgres"));
        p.getEnvironments().put("production", env(true, "appdb", "postgres"));
        p.getEnvironments().put("empty", env(false, null, null));
        return new Environments(p);
    }

    static EnvironmentsProperties.EnvironmentSpec env(boolean approval, String db, String kind) {
        EnvironmentsProperties.EnvironmentSpec e = new EnvironmentsProperties.EnvironmentSpec();
        e.setRequiresApproval(approval);
        e.setApprovalReminder(Duration.ofMinutes(30));
        e.setApprovalDeadline(Duration.ofHours(2));
        EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
        h.setName("web-1");
        h.setAddress("127.0.0.1");
        h.setSshPort(2222);
        e.getHosts().add(h);
        if (db != null) {
            EnvironmentsProperties.DatabaseSpec d = new EnvironmentsProperties.DatabaseSpec();
            d.setName(db);
            d.setKind(kind);
            d.setHost("127.0.0.1");
            d.setPort(5432);
            d.setDatabase("app");
            d.setUser("app");
            d.setPasswordRef("env:APP_DB_PASSWORD");
            e.getDatabases().add(d);
        }
        return e;
    }

    /** A catalog in its own in-memory database. */
    public static BackupCatalog standaloneCatalog() {
        var ds = new org.springframework.jdbc.datasource.DriverManagerDataSource(
                "jdbc:h2:mem:catalog-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
        return new BackupCatalog(new JdbcTemplate(ds));
    }

    public static BackupProperties properties() {
        BackupProperties p = new BackupProperties();
        p.environment("staging");
        BackupProperties.EnvironmentBackup staging = new BackupProperties.EnvironmentBackup();
        staging.getDirectories().add(new BackupProperties.Directory("uploads", "web-1", "/srv/uploads"));
        staging.getWriters().put("appdb", List.of("webapp"));
        staging.setRetention(new BackupProperties.Retention(2, 1));
        p.getEnvironments().put("staging", staging);
        BackupProperties.EnvironmentBackup prod = new BackupProperties.EnvironmentBackup();
        prod.getWriters().put("appdb", List.of("webapp"));
        p.getEnvironments().put("production", prod);
        p.getApplications().put("webapp", new BackupProperties.Application());
        p.getApplications().get("webapp").setDatabase("appdb");
        return p;
    }

    /** Everything a process test needs, built over the test engine's database. */
    public static final class Harness {
        public final ProcessEngine engine;
        public final Environments environments;
        public final BackupProperties props;
        public final BackupTargets targets;
        public final BackupCatalog catalog;
        public final RunbookLocks locks;
        public final DirectoryOffsiteStore store;
        public final BackupRetention retention;
        public final JdbcTemplate jdbc;
        public final StepLogs logs;

        public Harness(ProcessEngine engine, Environments environments, BackupProperties props, Path offsite) {
            this(engine, environments, props, offsite, null);
        }

        /** With the catalog in its own database (runbook definitions built before the engine need it). */
        public Harness(ProcessEngine engine, Environments environments, BackupProperties props, Path offsite,
                       BackupCatalog externalCatalog) {
            this.engine = engine;
            // several test classes (one engine each) share the JVM: point BPM Assert at this class's engine
            org.camunda.bpm.engine.test.assertions.bpmn.AbstractAssertions.init(engine);
            this.environments = environments;
            this.props = props;
            DataSource ds = ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration()).getDataSource();
            this.jdbc = new JdbcTemplate(ds);
            this.targets = new BackupTargets(environments, props);
            this.catalog = externalCatalog != null ? externalCatalog : new BackupCatalog(jdbc);
            CatalogTestSupport.clear(this.catalog);
            this.locks = new RunbookLocks(jdbc);
            jdbc.update("DELETE FROM OPSFLOW_LOCK");
            this.store = new DirectoryOffsiteStore(offsite.resolve("store"));
            this.logs = new StepLogs(offsite.resolve("logs").toString());
            this.retention = new BackupRetention(catalog, store, (org.springframework.transaction.PlatformTransactionManager) null);
        }

        public void registerBackup(BackupOperations ops) {
            Mocks.register("backupTargets", targets);
            Mocks.register("backupPlan", new BackupPlanDelegate(targets));
            Mocks.register("tryRunbookLock", new TryRunbookLockDelegate(locks));
            Mocks.register("releaseRunbookLock", new ReleaseRunbookLockDelegate(locks));
            Mocks.register("backupSkip", new BackupSkipDelegate());
            Mocks.register("backupDump", new BackupDumpDelegate(ops, targets, logs));
            Mocks.register("backupCopyOffsite", new BackupCopyOffsiteDelegate(ops, targets, store, logs));
            Mocks.register("backupVerifyOffsite", new BackupVerifyOffsiteDelegate(store));
            Mocks.register("backupRecord", new BackupRecordDelegate(catalog, targets, store));
            Mocks.register("backupRetention", new BackupRetentionDelegate(retention, props));
            Mocks.register("backupCleanupHost", new BackupCleanupHostDelegate(ops, targets, logs));
            Mocks.register("backupDiscard", new BackupDiscardDelegate(ops, targets, store, catalog, logs));
            Mocks.register("backupCollectResult", new BackupCollectResultListener());
            Mocks.register("backupSummarize", new BackupSummarizeDelegate());
        }

        public void registerRestore(RestoreOperations ops, RestoreRunbook runbook) {
            RestoreSupport support = new RestoreSupport(targets, catalog);
            Mocks.register("restoreResolve", new RestoreResolveDelegate(runbook));
            Mocks.register("restoreStage", new RestoreStageDelegate(ops, support, logs));
            Mocks.register("restoreRejected", new RestoreRejectedDelegate(ops, support, logs));
            Mocks.register("restoreStopWriters", new RestoreStopWritersDelegate(ops, support, logs));
            Mocks.register("restoreRun", new RestoreRunDelegate(ops, support, logs));
            Mocks.register("restoreVerify", new RestoreVerifyDelegate(support));
            Mocks.register("restoreStartWriters", new RestoreStartWritersDelegate(ops, support, logs));
            Mocks.register("restoreHealth", new RestoreHealthDelegate(ops, support, logs));
            Mocks.register("restoreDropScratch", new RestoreDropScratchDelegate(ops, support, logs));
            Mocks.register("restoreRecord", new RestoreRecordDelegate(support));
            Mocks.register("restoreCleanup", new RestoreCleanupDelegate(ops, support, logs));
            Mocks.register("restoreFailed", new RestoreFailedDelegate(ops, support, logs));
            registerApproval();
        }

        public void registerApproval() {
            Approve.registerApprovalBlock();
        }

        /**
         * Makes the mocked backup port behave like a host: the dump of backup X has content "dump of X", the copy
         * writes exactly those bytes to the offsite store.
         */
        public void simulateHost(BackupOperations ops) {
            lenient().when(ops.dump(any(), anyString(), any())).thenAnswer(inv -> {
                BackupTarget t = inv.getArgument(0);
                String id = inv.getArgument(1);
                byte[] content = content(id);
                return new BackupOperations.Dump(".opsflow/backups/" + id + "." + t.extension(), content.length,
                        Sha256.of(content), t.isDatabase() ? Map.of("items", 2L, "orders", 5L)
                                : Map.of("files", 3L), t.isDatabase() ? "schema-fingerprint-1" : null, Vars.now(),
                        Vars.now().plusSeconds(7));
            });
            lenient().when(ops.copyOffsite(any(), anyString(), anyString(), any())).thenAnswer(inv -> {
                String hostPath = inv.getArgument(1);
                String id = hostPath.substring(hostPath.lastIndexOf('/') + 1, hostPath.indexOf('.', hostPath.lastIndexOf('/')));
                return store.put(inv.getArgument(2), new ByteArrayInputStream(content(id)));
            });
        }

        public static byte[] content(String backupId) {
            return ("dump of " + backupId).getBytes(StandardCharsets.UTF_8);
        }

        /** Executes due jobs until the next one would be at {@code activityId} (exclusive); returns failures. */
        public List<Exception> runJobs(String untilActivityId) {
            List<Exception> failures = new ArrayList<>();
            for (int round = 0; round < 200; round++) {
                List<Job> jobs = engine.getManagementService().createJobQuery().executable().messages().list();
                if (jobs.isEmpty() || engine.getManagementService().createJobQuery().executable().messages()
                        .activityId(untilActivityId).count() > 0) {
                    return failures;
                }
                for (Job j : jobs) {
                    try {
                        engine.getManagementService().executeJob(j.getId());
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }
            }
            throw new AssertionError("jobs keep coming after 200 rounds");
        }

        /** Executes due jobs (async continuations, not timers) until none is left; returns the exceptions. */
        public List<Exception> runJobs() {
            List<Exception> failures = new ArrayList<>();
            for (int round = 0; round < 200; round++) {
                List<Job> jobs = engine.getManagementService().createJobQuery().executable().messages().list();
                if (jobs.isEmpty()) {
                    return failures;
                }
                for (Job j : jobs) {
                    try {
                        engine.getManagementService().executeJob(j.getId());
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }
            }
            throw new AssertionError("jobs keep coming after 200 rounds");
        }

        /** Inserts a catalog row with an offsite file, as a finished backup would have left them. */
        public BackupEntry seedBackup(String env, String target, String id, Instant startedAt, Map<String, Long> counts) {
            BackupTarget t = targets.get(env, target);
            String key = BackupIds.objectKey(t, id);
            OffsiteStore.StoredObject o = store.put(key, new ByteArrayInputStream(content(id)));
            BackupEntry e = new BackupEntry(id, env, target, t.kind(), t.source(), store.location(key), key, o.size(),
                    o.sha256(), startedAt, startedAt.plusSeconds(10), true, "scheduled", counts, "schema-fingerprint-1", "seed",
                    null);
            catalog.insert(e);
            return e;
        }
    }
}
