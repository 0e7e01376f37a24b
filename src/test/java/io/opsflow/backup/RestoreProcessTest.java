package io.opsflow.backup;

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
import static org.mockito.Mockito.verify;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.ChecksumMismatchException;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.RestoreRecord;
import io.opsflow.environments.Environments;
import io.opsflow.platform.locks.RunbookLockedException;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.Approve;
import io.opsflow.testsupport.TestEngines;

/** restore.bpmn: drill into scratch, original with and without approval, rejection, deadline, checksum mismatch,
 * verification and health failures, input validation and the target lock. */
@Deployment(resources = {"restore.bpmn", "restore-approval.form"})
class RestoreProcessTest {
    static final Environments ENVS = BackupFixtures.environments();
    static final BackupProperties PROPS = BackupFixtures.properties();
    static final BackupTargets TARGETS = new BackupTargets(ENVS, PROPS);
    static final BackupCatalog CATALOG = BackupFixtures.standaloneCatalog();
    static final RestoreRunbook RUNBOOK = new RestoreRunbook(CATALOG, TARGETS);
    static final Instant NOW = Instant.parse("2025-03-12T10:00:00Z");
    static final Map<String, Long> COUNTS = Map.of("items", 2L, "orders", 5L);

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, RUNBOOK);

    @TempDir
    Path offsite;

    RestoreOperations ops = mock(RestoreOperations.class);
    BackupFixtures.Harness h;
    BackupEntry backup;
    Map<String, Long> restoredCounts;

    @BeforeEach
    void setUp() {
        ClockUtil.setCurrentTime(Date.from(NOW));
        h = new BackupFixtures.Harness(ext.getProcessEngine(), ENVS, PROPS, offsite, CATALOG);
        h.registerRestore(ops, RUNBOOK);
        backup = h.seedBackup("staging", "appdb", "staging-appdb-1", NOW.minus(Duration.ofHours(8)), COUNTS);
        h.seedBackup("production", "appdb", "production-appdb-1", NOW.minus(Duration.ofHours(3)), COUNTS);
        lenient().when(ops.stageOnHost(any(), any(), any())).thenAnswer(inv ->
                ".opsflow/backups/restore-" + ((BackupEntry) inv.getArgument(1)).id() + ".pgdump");
        lenient().when(ops.stopWriters(any(), any())).thenReturn(List.of("web-1/webapp/blue"));
        restoredCounts = COUNTS;
        lenient().when(ops.restore(any(), any(), anyString(), anyBoolean(), any())).thenAnswer(inv ->
                new RestoreOperations.Restored((boolean) inv.getArgument(3) ? "app_opsflow_scratch" : "app",
                        restoredCounts, "schema-fingerprint-1"));
        lenient().when(ops.unhealthy(any(), anyList(), any())).thenReturn(List.of());
    }

    @AfterEach
    void tearDown() {
        ClockUtil.reset();
        ext.getIdentityService().clearAuthentication();
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging", "backupId", "staging-appdb-1",
                "targetKind", "scratch", "reason", "weekly drill"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return ext.getRuntimeService().startProcessInstanceByKey("restore", vars);
    }

    Object var(ProcessInstance pi, String name) {
        var v = ext.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    void advance(Duration d) {
        ClockUtil.setCurrentTime(Date.from(ClockUtil.getCurrentTime().toInstant().plus(d)));
    }

    @Test
    void drillRestoresTheLatestBackupIntoScratchVerifiesDropsAndRecordsRtoAndRpo() {
        assertThatThrownBy(() -> start("backupId", "latest")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("target: is required with backupId 'latest'");
        ProcessInstance pi = start("backupId", "latest", "target", "appdb", "reason", "scheduled restore drill");
        assertThat(pi).isWaitingAt("Task_Stage").variables().containsEntry("backupId", "staging-appdb-1")
                .containsEntry("rpoSeconds", 8 * 3600L).containsEntry("drill", true)
                .containsEntry("runbookLock", "restore-scratch:staging/appdb");
        advance(Duration.ofSeconds(95));
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassedInOrder("Task_Stage", "Task_Restore", "Task_Verify", "Task_DropScratch",
                "Task_Record", "Task_Cleanup", "Event_Restored").hasNotPassed("Task_Approve", "Task_StopWriters",
                "Task_StartWriters");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "rtoSeconds")).isEqualTo(95L);
        verify(ops).restore(any(), eq(backup), eq(".opsflow/backups/restore-staging-appdb-1.pgdump"), eq(true), any());
        verify(ops).dropScratch(any(), eq("app_opsflow_scratch"), any());
        verify(ops).removeFromHost(any(), eq(".opsflow/backups/restore-staging-appdb-1.pgdump"), any());
        verify(ops, never()).stopWriters(any(), any());
        RestoreRecord r = CATALOG.restores("staging").get(0);
        assertThat(r.drill()).isTrue();
        assertThat(r.outcome()).isEqualTo("SUCCEEDED");
        assertThat(r.rtoSeconds()).isEqualTo(95L);
        assertThat(r.rpoSeconds()).isEqualTo(8 * 3600L);
        assertThat(r.backupId()).isEqualTo("staging-appdb-1");
        assertThat(CATALOG.find("staging-appdb-1").orElseThrow().lastRestoredAt()).isNotNull();
    }

    @Test
    void originalWithoutApprovalStopsWritersRestoresVerifiesRestartsAndHealthChecksInThatOrder() {
        ProcessInstance pi = start("targetKind", "original", "incidentAt", "2025-03-12T09:00:00Z");
        assertThat(pi).variables().containsEntry("rpoSeconds", 7 * 3600L)
                .containsEntry("runbookLock", "backup:staging/appdb");
        assertThat(h.locks.holder("backup:staging/appdb")).contains(pi.getId());
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassed("Event_Restored").hasNotPassed("Task_Approve", "Task_DropScratch");
        InOrder order = inOrder(ops);
        order.verify(ops).stageOnHost(any(), eq(backup), any());
        order.verify(ops).stopWriters(any(), any());
        order.verify(ops).restore(any(), eq(backup), anyString(), eq(false), any());
        order.verify(ops).startWriters(any(), eq(List.of("web-1/webapp/blue")), any());
        order.verify(ops).unhealthy(any(), eq(List.of("web-1/webapp/blue")), any());
        order.verify(ops).removeFromHost(any(), anyString(), any());
        RestoreRecord r = CATALOG.restores("staging").get(0);
        assertThat(r.drill()).isFalse();
        assertThat(r.targetKind()).isEqualTo("original");
        assertThat(r.rpoSeconds()).isEqualTo(7 * 3600L);
        assertThat(h.locks.holder("backup:staging/appdb")).isEmpty();
    }

    @Test
    void productionOriginalNeedsAnotherPersonsApprovalWithTheEvidence() {
        ext.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start("environment", "production", "backupId", "production-appdb-1",
                "targetKind", "original", "reason", "data corruption in orders");
        ext.getIdentityService().clearAuthentication();
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isWaitingAt("Task_Approve");
        verify(ops).stageOnHost(any(), any(), any());
        verify(ops, never()).stopWriters(any(), any());
        Task task = ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
        assertThat(ext.getTaskService().getIdentityLinksForTask(task.getId()))
                .anyMatch(l -> "approvers".equals(l.getGroupId()));
        assertThat((String) ext.getRuntimeService().getVariable(pi.getId(), "restoreEvidence"))
                .contains("production-appdb-1").contains("postgres://127.0.0.1:5432/app").contains("sha256");

        assertThatThrownBy(() -> ext.getTaskService().claim(task.getId(), "alice")).hasMessageContaining("Four-eyes");
        Approve.as(ext.getProcessEngine(), "bob", task.getId(), true, "go");
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Task_Approve", "Task_StopWriters", "Event_Restored");
        assertThat(var(pi, "approvedBy")).isEqualTo("bob");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
    }

    @Test
    void productionScratchDrillNeedsNoApproval() {
        ProcessInstance pi = start("environment", "production", "backupId", "latest");
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasNotPassed("Task_Approve").hasPassed("Event_Restored");
    }

    @Test
    void rejectedRestoreTouchesNothingAndRemovesTheStagedCopy() {
        ext.getIdentityService().setAuthenticatedUserId("alice");
        ProcessInstance pi = start("environment", "production", "backupId", "production-appdb-1",
                "targetKind", "original");
        ext.getIdentityService().clearAuthentication();
        h.runJobs();
        Task task = ext.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
        Approve.as(ext.getProcessEngine(), "bob", task.getId(), false, "restore last night's");
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassed("Task_Rejected", "Event_Rejected").hasNotPassed("Task_StopWriters");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
        assertThat((String) var(pi, "rejectionReason")).isEqualTo("rejected by bob: restore last night's");
        verify(ops, never()).stopWriters(any(), any());
        verify(ops, never()).restore(any(), any(), anyString(), anyBoolean(), any());
        verify(ops).removeFromHost(any(), eq(".opsflow/backups/restore-production-appdb-1.pgdump"), any());
    }

    @Test
    void approvalRemindsThenExpiresIntoRejected() {
        ProcessInstance pi = start("environment", "production", "backupId", "production-appdb-1",
                "targetKind", "original");
        h.runJobs();
        assertThat(pi).isWaitingAt("Task_Approve");
        Job reminder = ext.getManagementService().createJobQuery().timers().activityId("Event_ApprovalReminder")
                .singleResult();
        assertThat(reminder.getDuedate()).isEqualTo(Date.from(NOW.plus(Duration.ofMinutes(30))));
        ext.getManagementService().executeJob(reminder.getId());
        assertThat(pi).isWaitingAt("Task_Approve").variables().containsEntry("remindersSent", 1);
        Job deadline = ext.getManagementService().createJobQuery().timers().activityId("Event_ApprovalDeadline")
                .singleResult();
        assertThat(deadline.getDuedate()).isEqualTo(Date.from(NOW.plus(Duration.ofHours(2))));
        ext.getManagementService().executeJob(deadline.getId());
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Task_Expire", "Event_Rejected");
        assertThat(var(pi, "rejectionReason")).isEqualTo("approval deadline passed");
        assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
    }

    @Test
    void checksumMismatchFailsBeforeAnythingIsTouched() {
        doThrow(new ChecksumMismatchException("offsite copy file:///x", backup.sha256(), "0".repeat(64)))
                .when(ops).stageOnHost(any(), any(), any());
        ProcessInstance pi = start("targetKind", "original");
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassed("Event_ChecksumMismatch", "Task_RecordFailure", "Event_Failed")
                .hasNotPassed("Task_StopWriters", "Task_Restore");
        assertThat(var(pi, "outcome")).isEqualTo("FAILED");
        assertThat((String) var(pi, "failureReason")).contains("checksum mismatch").contains(backup.sha256());
        verify(ops, never()).stopWriters(any(), any());
        verify(ops, never()).restore(any(), any(), anyString(), anyBoolean(), any());
        RestoreRecord r = CATALOG.restores("staging").get(0);
        assertThat(r.outcome()).isEqualTo("FAILED");
        assertThat(r.rtoSeconds()).isNull();
        assertThat(r.detail()).contains("checksum mismatch");
    }

    @Test
    void originalThatDoesNotVerifyFailsAndLeavesWritersStopped() {
        restoredCounts = Map.of("items", 2L, "orders", 4L, "audit", 1L);
        ProcessInstance pi = start("targetKind", "original");
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Event_VerifyFailed", "Event_Failed").hasNotPassed("Task_StartWriters");
        assertThat((String) var(pi, "failureReason")).contains("orders: expected 5 rows, found 4")
                .contains("audit: not in the backup").contains("writers left stopped: [web-1/webapp/blue]");
        verify(ops, never()).startWriters(any(), anyList(), any());
        verify(ops, never()).dropScratch(any(), anyString(), any());
    }

    @Test
    void scratchThatDoesNotVerifyIsDroppedAndTheFailedDrillRecorded() {
        restoredCounts = Map.of("items", 2L);
        ProcessInstance pi = start();
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Event_VerifyFailed", "Event_Failed");
        verify(ops).dropScratch(any(), eq("app_opsflow_scratch"), any());
        assertThat(CATALOG.restores("staging").get(0)).extracting(RestoreRecord::outcome, RestoreRecord::drill)
                .containsExactly("FAILED", true);
    }

    @Test
    void unhealthyWritersAfterRestoreFailTheRun() {
        doReturn(List.of("web-1/webapp/blue: /health answered 503")).when(ops).unhealthy(any(), anyList(), any());
        ProcessInstance pi = start("targetKind", "original");
        assertThat(h.runJobs()).isEmpty();
        assertThat(pi).isEnded().hasPassed("Task_StartWriters", "Event_HealthFailed", "Event_Failed");
        assertThat((String) var(pi, "failureReason")).contains("503").doesNotContain("left stopped");
    }

    @Test
    void secondRestoreOfTheSameOriginalIsRefusedWhileTheFirstRuns() {
        ProcessInstance first = start("targetKind", "original");
        assertThatThrownBy(() -> start("targetKind", "original")).isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("backup:staging/appdb").hasMessageContaining(first.getId());
        start(); // a scratch drill may run meanwhile
    }

    @Test
    void badInputIsRefusedAndNothingStarts() {
        assertThatThrownBy(() -> start("backupId", "no-such-backup")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("backupId: no backup 'no-such-backup' of environment staging");
        assertThatThrownBy(() -> start("backupId", "production-appdb-1")).hasMessageContaining("backupId:");
        assertThatThrownBy(() -> start("backupId", "x; rm -rf /")).hasMessageContaining("backupId:");
        assertThatThrownBy(() -> start("targetKind", "elsewhere")).hasMessageContaining("targetKind:");
        assertThatThrownBy(() -> start("reason", " ")).hasMessageContaining("reason:");
        assertThatThrownBy(() -> start("incidentAt", "yesterday-ish")).hasMessageContaining("incidentAt:");
        assertThatThrownBy(() -> start("incidentAt", "2025-13-45T99:00:00Z")).hasMessageContaining("incidentAt:");
        assertThatThrownBy(() -> start("backupId", "latest", "target", "uploads"))
                .hasMessageContaining("there is no backup of staging/uploads");
        assertThatThrownBy(() -> start("backupId", "latest", "environment", "empty"))
                .hasMessageContaining("backupId:");
        assertThat(ext.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }
}
