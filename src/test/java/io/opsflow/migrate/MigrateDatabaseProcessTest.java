package io.opsflow.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.lenient;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

import org.camunda.bpm.engine.impl.util.ClockUtil;
import java.util.Map;

import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

import io.opsflow.backup.BackupFixtures;
import io.opsflow.backup.BackupOperations;
import io.opsflow.backup.BackupRunbook;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.RestoreOperations;
import io.opsflow.migrate.delegate.*;
import io.opsflow.environments.Environments;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/** migrate-database.bpmn: up to date, migrated, pre-migration backup skipped, approval and rejection, migration or
 * verification failure → compensation restores the pre-migration backup → ROLLED_BACK. */
@Deployment(resources = {"migrate-database.bpmn", "migrate-database-approval.form",
        "backup.bpmn"})
class MigrateDatabaseProcessTest {
    static final Environments ENVS = BackupFixtures.environments();
    static final BackupProperties PROPS = BackupFixtures.properties();
    static final BackupTargets TARGETS = new BackupTargets(ENVS, PROPS);

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new MigrateDatabaseRunbook(TARGETS),
            new BackupRunbook(TARGETS));

    @TempDir
    Path offsite;

    BackupOperations backupOps = mock(BackupOperations.class);
    RestoreOperations restoreOps = mock(RestoreOperations.class);
    MigrationOperations ops = mock(MigrationOperations.class);
    BackupFixtures.Harness h;
    Map<String, Long> restoredCounts = Map.of("items", 2L, "orders", 5L);

    static final List<String> ALL = List.of("001_create_items.sql", "002_items_add_price.sql",
            "003_create_orders.sql");

    @BeforeEach
    void setUp() {
        h = new BackupFixtures.Harness(ext.getProcessEngine(), ENVS, PROPS, offsite);
        h.registerBackup(backupOps);
        h.simulateHost(backupOps);
        h.registerApproval();
        BackupCatalog catalog = h.catalog;
        Mocks.register("migrationPlan", new MigrationPlanDelegate(ops, TARGETS, h.logs));
        Mocks.register("migrationBackupFailed", new MigrationBackupFailedDelegate());
        Mocks.register("migrationBegin", new MigrationBeginDelegate());
        Mocks.register("migrationRun", new MigrationRunDelegate(ops, TARGETS, h.logs));
        Mocks.register("migrationVerify", new MigrationVerifyDelegate(ops, TARGETS, h.logs));
        MigrationRollback.Support rb = new MigrationRollback.Support(restoreOps, TARGETS, catalog, h.logs);
        Mocks.register("migrationRollbackStage", new MigrationRollback.Stage(rb));
        Mocks.register("migrationRollbackStopWriters", new MigrationRollback.StopWriters(rb));
        Mocks.register("migrationRollbackRestore", new MigrationRollback.Restore(rb));
        Mocks.register("migrationRollbackVerify", new MigrationRollback.Verify(rb));
        Mocks.register("migrationRollbackStartWriters", new MigrationRollback.StartWriters(rb));
        // before: 001 and 002 applied; after a successful run: all three
        lenient().when(ops.plan(any(), eq("webapp"), eq("1.2.0"), any())).thenReturn(
                new MigrationOperations.Plan(ALL, ALL.subList(0, 2), ALL.subList(2, 3)),
                new MigrationOperations.Plan(ALL, ALL, List.of()));
        lenient().when(ops.migrate(any(), eq("webapp"), eq("1.2.0"), any())).thenReturn(ALL.subList(2, 3));
        lenient().when(restoreOps.stageOnHost(any(), any(), any())).thenReturn(".opsflow/backups/restore.pgdump");
        lenient().when(restoreOps.stopWriters(any(), any())).thenReturn(List.of("web-1/webapp/blue"));
        lenient().when(restoreOps.restore(any(), any(), anyString(), anyBoolean(), any())).thenAnswer(inv ->
                new RestoreOperations.Restored("app", restoredCounts, "schema-fingerprint-1"));
    }

    @AfterEach
    void tearDown() {
        ext.getIdentityService().clearAuthentication();
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "application", "webapp",
                "version", "1.2.0", "reason", "release 1.2.0"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return ext.getRuntimeService().startProcessInstanceByKey("migrate-database", vars);
    }

    Object var(ProcessInstance pi, String name) {
        var v = ext.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    @Test
    void pendingMigrationsRunAfterAFreshBackupAndVerify() {
        ProcessInstance pi = start();
        assertThat(pi).variables().containsEntry("runbookLock", "migrate:staging/webapp");
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassedInOrder("Task_Plan", "CallActivity_Backup", "Task_HoldLock", "Task_Begin",
                "Task_Run", "Task_Verify", "Event_Migrated").hasNotPassed("Task_Approve");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "migrationDatabase")).isEqualTo("appdb");
        assertThat(var(pi, "appliedMigrations")).isEqualTo("[\"003_create_orders.sql\"]");
        String backupId = (String) var(pi, "preMigrationBackupId");
        BackupEntry pre = h.catalog.find(backupId).orElseThrow();
        assertThat(pre.purpose()).isEqualTo("pre-migration");
        assertThat(pre.target()).isEqualTo("appdb");
        verify(restoreOps, never()).restore(any(), any(), anyString(), anyBoolean(), any());
        assertThat(h.locks.list()).isEmpty();
    }

    @Test
    void nothingPendingEndsWithoutBackup() {
        doReturn(new MigrationOperations.Plan(ALL, ALL, List.of())).when(ops).plan(any(), anyString(), anyString(), any());
        ProcessInstance pi = start();
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Event_UpToDate").hasNotPassed("CallActivity_Backup");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        verify(backupOps, never()).dump(any(), anyString(), any());
    }

    @Test
    void failingMigrationIsCompensatedByRestoringThePreMigrationBackup() {
        doThrow(new MigrationFailedException("004_orders_add_status.sql", List.of(),
                "ERROR: column \"customer_id\" does not exist"))
                .when(ops).migrate(any(), anyString(), anyString(), any());
        ProcessInstance pi = start();
        assertThat(h.runJobs("Task_RollbackStage")).isEmpty();
        // the failed migration is committed as such before the rollback's first step runs in its own job
        assertThat(pi).isWaitingAt("Task_RollbackStage").variables().containsEntry("failedMigration",
                "004_orders_add_status.sql");
        verify(restoreOps, never()).restore(any(), any(), anyString(), anyBoolean(), any());
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassed("Event_Compensate").hasPassedInOrder("Event_MigrationFailed", "Task_RollbackStage",
                "Task_RollbackStopWriters", "Task_RollbackRestore", "Task_RollbackVerify", "Task_RollbackStartWriters",
                "Event_RolledBack").hasNotPassed("Task_Verify", "Event_Migrated");
        assertThat(var(pi, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) var(pi, "failureReason")).contains("004_orders_add_status.sql").contains("customer_id");
        String backupId = (String) var(pi, "preMigrationBackupId");
        assertThat(var(pi, "rolledBackTo")).isEqualTo(backupId);
        assertThat(var(pi, "rollbackVerified")).isEqualTo(true);
        BackupEntry pre = h.catalog.find(backupId).orElseThrow();
        InOrder order = inOrder(restoreOps);
        order.verify(restoreOps).stageOnHost(any(), eq(pre), any());
        order.verify(restoreOps).stopWriters(any(), any());
        order.verify(restoreOps).restore(any(), eq(pre), eq(".opsflow/backups/restore.pgdump"), eq(false), any());
        order.verify(restoreOps).startWriters(any(), eq(List.of("web-1/webapp/blue")), any());
    }

    @Test
    void migrationThatDoesNotVerifyIsRolledBackToo() {
        doReturn(new MigrationOperations.Plan(ALL, ALL.subList(0, 2), ALL.subList(2, 3)))
                .when(ops).plan(any(), anyString(), anyString(), any());
        ProcessInstance pi = start();
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Task_Run", "Event_VerifyFailed", "Task_RollbackRestore",
                "Event_RolledBack");
        assertThat((String) var(pi, "failureReason")).contains("still pending").contains("003_create_orders.sql");
    }

    @Test
    void rollbackThatDoesNotVerifyIsAnIncidentNamingTheDifferencesAndLeavesWritersStopped() {
        doThrow(new MigrationFailedException("003_create_orders.sql", List.of(), "syntax error"))
                .when(ops).migrate(any(), anyString(), anyString(), any());
        restoredCounts = Map.of("items", 2L);
        ProcessInstance pi = start();
        // the rollback steps retry R3/PT1M: let each retry fall due until the incident
        List<Exception> failures = new java.util.ArrayList<>(h.runJobs());
        try {
            for (int i = 0; i < 5 && ext.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId())
                    .count() == 0; i++) {
                ClockUtil.setCurrentTime(new java.util.Date(ClockUtil.getCurrentTime().getTime() + 61_000));
                failures.addAll(h.runJobs());
            }
        } finally {
            ClockUtil.reset();
        }
        assertThat(failures).as("one failure per attempt of R3/PT1M").hasSize(3);
        String expected = "restoring pre-migration backup " + ext.getRuntimeService().getVariable(pi.getId(),
                "preMigrationBackupId") + " into app does not verify: orders: missing after the restore (backup has 5 "
                + "rows); the writers stay stopped ([\"web-1/webapp/blue\"])";
        assertThat(failures).isNotEmpty().allSatisfy(e -> assertThat(e).hasMessage(expected));
        assertThat(pi).isActive().isWaitingAt("Task_RollbackVerify");
        assertThat(ext.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).singleResult()
                .getIncidentMessage()).isEqualTo(expected);
        verify(ops, times(1)).migrate(any(), anyString(), anyString(), any()); // retries repeat the check, not the migration
        verify(restoreOps, times(1)).restore(any(), any(), anyString(), anyBoolean(), any());
        verify(restoreOps, never()).startWriters(any(), anyList(), any());
    }

    @Test
    void skippedPreMigrationBackupMeansNoMigration() {
        h.locks.acquire("backup:staging/appdb", "some-running-backup");
        // a holder that is not a running instance is stale and would be taken over: use a real running run
        h.jdbc.update("DELETE FROM OPSFLOW_LOCK");
        ProcessInstance busy = ext.getRuntimeService().startProcessInstanceByKey("backup",
                Map.of("environment", "staging", "target", "appdb"));
        ProcessInstance pi = start();
        h.runJobs();
        assertThat(pi).isEnded().hasPassed("Task_BackupFailed", "Event_BackupFailed").hasNotPassed("Task_Run");
        assertThat(var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) var(pi, "failureReason")).contains("SKIPPED").contains(busy.getId())
                .contains("nothing was migrated");
        verify(ops, never()).migrate(any(), anyString(), anyString(), any());
    }

    @Test
    void productionAsksForApprovalWithTheMigrationListAndStopsOnRejection() {
        ext.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start("environment", "production");
        ext.getIdentityService().clearAuthentication();
        h.runJobs();
        assertThat(pi).isWaitingAt("Task_Approve").variables().containsEntry("migrationList",
                "003_create_orders.sql");
        assertThat((String) ext.getRuntimeService().getVariable(pi.getId(), "preMigrationBackupId"))
                .startsWith("production-appdb-");
        assertThat(h.locks.holder("backup:production/appdb")).contains(pi.getId());
        Task task = ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
        Approve.as(ext.getProcessEngine(), "carol", task.getId(), false, "not during sales");
        assertThat(pi).isEnded().hasPassed("Event_Rejected");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat(var(pi, "rejectionReason")).isEqualTo("rejected by carol: not during sales");
        verify(ops, never()).migrate(any(), anyString(), anyString(), any());
        assertThat(h.locks.list()).isEmpty();
    }

    @Test
    void productionMigratesOnceApproved() {
        ext.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start("environment", "production");
        ext.getIdentityService().clearAuthentication();
        h.runJobs();
        Task task = ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
        Approve.as(ext.getProcessEngine(), "carol", task.getId(), true, null);
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Task_Approve", "Task_Run", "Event_Migrated");
    }

    @Test
    void secondMigrationOfTheSameApplicationIsRefusedAndBadInputToo() {
        ProcessInstance first = start();
        assertThatThrownBy(this::start).isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("migrate:staging/webapp").hasMessageContaining(first.getId());
        assertThatThrownBy(() -> start("environment", "empty"))
                .isInstanceOf(RunbookInputException.class).hasMessageContaining("application: application 'webapp' "
                        + "uses database 'appdb'").hasMessageContaining("environment 'empty' has no such database");
        assertThatThrownBy(() -> start("version", "1.0;reboot")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("version:");
        assertThatThrownBy(() -> start("reason", "")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("reason:");
        assertThat(ext.getRuntimeService().createProcessInstanceQuery().count()).isEqualTo(1);
    }
}
