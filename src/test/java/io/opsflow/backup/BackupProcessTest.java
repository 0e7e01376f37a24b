package io.opsflow.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.Sha256;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.testsupport.TestEngines;

/** backup.bpmn: one target, all targets, overlap skip, corrupt copy, damaged transfer, technical failure. */
@Deployment(resources = {"backup.bpmn"})
class BackupProcessTest {
    static final Environments ENVS = BackupFixtures.environments();
    static final BackupProperties PROPS = BackupFixtures.properties();
    static final BackupTargets TARGETS = new BackupTargets(ENVS, PROPS);

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new BackupRunbook(TARGETS));

    @TempDir
    Path offsite;

    BackupOperations ops = mock(BackupOperations.class);
    BackupFixtures.Harness h;

    @BeforeEach
    void setUp() {
        h = new BackupFixtures.Harness(ext.getProcessEngine(), ENVS, PROPS, offsite);
        h.registerBackup(ops);
        h.simulateHost(ops);
    }

    @AfterEach
    void resetClock() {
        ClockUtil.reset();
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("environment", "staging");
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return ext.getRuntimeService().startProcessInstanceByKey("backup", vars);
    }

    Object var(ProcessInstance pi, String name) {
        return ext.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    @Test
    void oneTargetIsDumpedCopiedVerifiedRecordedAndCleanedUp() throws Exception {
        ProcessInstance pi = start("target", "appdb", "reason", "before the upgrade");
        assertThat(pi).isWaitingAt("Task_Dump").variables().containsEntry("lockAcquired", true)
                .containsEntry("lockName", "backup:staging/appdb").containsEntry("purpose", "on-demand");
        assertThat(h.locks.holder("backup:staging/appdb")).contains(pi.getId());

        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassedInOrder("Task_Dump", "Task_CopyOffsite", "Task_VerifyOffsite",
                "Task_Record", "Task_Retention", "Task_CleanupHost", "Event_Succeeded");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        String id = (String) var(pi, "backupId");
        BackupEntry e = h.catalog.find(id).orElseThrow();
        assertThat(e.environment()).isEqualTo("staging");
        assertThat(e.target()).isEqualTo("appdb");
        assertThat(e.kind()).isEqualTo("postgres");
        assertThat(e.source()).isEqualTo("postgres://127.0.0.1:5432/app");
        assertThat(e.verified()).isTrue();
        assertThat(e.processInstanceId()).isEqualTo(pi.getId());
        assertThat(e.rowCounts()).containsEntry("orders", 5L);
        assertThat(e.sha256()).isEqualTo(Sha256.of(BackupFixtures.Harness.content(id)));
        Path file = offsite.resolve("store/staging/appdb/" + id + ".pgdump");
        assertThat(Files.readAllBytes(file)).isEqualTo(BackupFixtures.Harness.content(id));
        assertThat(e.location()).isEqualTo(file.toUri().toString());
        verify(ops).removeFromHost(any(), eq(".opsflow/backups/" + id + ".pgdump"), any());
        assertThat(h.locks.holder("backup:staging/appdb")).isEmpty();
    }

    @Test
    void overlappingRunOfTheSameTargetIsSkippedWithTheHolderNamed() {
        ProcessInstance first = start("target", "appdb");
        ProcessInstance second = start("target", "appdb");

        assertThat(second).isEnded().hasPassed("Task_Skip", "Event_Skipped").hasNotPassed("Task_Dump");
        assertThat(var(second, "outcome")).isEqualTo("SKIPPED");
        assertThat((String) var(second, "skipReason")).contains("backup:staging/appdb").contains(first.getId());
        assertThat(first).isWaitingAt("Task_Dump");

        // another target is another lock
        ProcessInstance uploads = start("target", "uploads");
        assertThat(uploads).isWaitingAt("Task_Dump");

        assertThat(h.runJobs()).isEmpty();
        verify(ops, times(1)).dump(any(), eq((String) var(first, "backupId")), any());
        verify(ops, times(2)).dump(any(), anyString(), any());
        assertThat(h.catalog.list("staging")).hasSize(2);

        // the lock is free again once the first run ended
        ProcessInstance third = start("target", "appdb");
        assertThat(third).isWaitingAt("Task_Dump");
    }

    @Test
    void withoutTargetEveryTargetIsBackedUpByItsOwnChildRun() {
        ProcessInstance pi = start();
        assertThat(pi).isWaitingAt("CallActivity_EachTarget");
        assertThat(h.runJobs()).isEmpty();

        assertThat(pi).isEnded().hasPassed("Task_Summarize", "Event_AllDone");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(h.catalog.list("staging")).extracting(BackupEntry::target)
                .containsExactlyInAnyOrder("appdb", "uploads");
        assertThat(h.catalog.list("staging", "uploads").get(0).kind()).isEqualTo("files");
        assertThat((String) var(pi, "targetResults")).contains("\"target\":\"appdb\",\"outcome\":\"SUCCEEDED\"")
                .contains("\"target\":\"uploads\",\"outcome\":\"SUCCEEDED\"");
        assertThat(ext.getHistoryService().createHistoricProcessInstanceQuery().superProcessInstanceId(pi.getId())
                .count()).isEqualTo(2);
    }

    @Test
    void allTargetsRunSkipsTheBusyTargetAndIsSkippedWhenEveryTargetIsBusy() {
        ProcessInstance busyDb = start("target", "appdb");
        ProcessInstance all = start();
        assertThat(h.runJobs()).isEmpty();
        assertThat(all).isEnded();
        assertThat(var(all, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) var(all, "skipReason")).startsWith("appdb: ").contains(busyDb.getId());
        assertThat(busyDb).isEnded();

        ProcessInstance busy1 = start("target", "appdb");
        ProcessInstance busy2 = start("target", "uploads");
        ProcessInstance allBusy = start();
        assertThat(allBusy).isEnded();
        assertThat(var(allBusy, "outcome")).isEqualTo("SKIPPED");
        assertThat((String) var(allBusy, "skipReason")).contains(busy1.getId()).contains(busy2.getId());
    }

    @Test
    void corruptOffsiteCopyFailsTheRunAndLeavesNoFileNoRowNoDump() throws Exception {
        ProcessInstance pi = start("target", "appdb");
        h.runJobs(); // would finish, so instead: stop before verification
        assertThat(pi).isEnded();
        // run again, corrupting the copy between copy and verification
        ProcessInstance bad = start("target", "uploads");
        execute("Task_Dump");
        execute("Task_CopyOffsite");
        String id = (String) ext.getRuntimeService().getVariable(bad.getId(), "backupId");
        Path file = offsite.resolve("store/staging/uploads/" + id + ".tar.gz");
        Files.writeString(file, "bit rot", StandardCharsets.UTF_8);
        assertThat(h.runJobs()).isEmpty();

        assertThat(bad).isEnded().hasPassed("Event_CopyCorrupt", "Task_Discard", "Event_Failed")
                .hasNotPassed("Task_Record");
        assertThat(var(bad, "outcome")).isEqualTo("FAILED");
        assertThat((String) var(bad, "failureReason")).contains("does not verify").contains(id);
        assertThat(h.catalog.find(id)).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(h.store.list("staging/uploads/")).isEmpty();
        verify(ops).removeFromHost(any(), eq(".opsflow/backups/" + id + ".tar.gz"), any());
        assertThat(h.catalog.list("staging")).hasSize(1); // the good one from before
    }

    @Test
    void copyDamagedInTransitIsDeletedAndRetriedNotRecorded() {
        doAnswer(inv -> h.store.put(inv.getArgument(2), new ByteArrayInputStream("truncated".getBytes())))
                .when(ops).copyOffsite(any(), anyString(), anyString(), any());
        ProcessInstance pi = start("target", "appdb");
        execute("Task_Dump");
        String key = (String) ext.getRuntimeService().getVariable(pi.getId(), "objectKey");
        assertThatThrownBy(() -> execute("Task_CopyOffsite")).hasMessageContaining("arrived damaged");
        assertThat(h.store.exists(key)).isFalse();
        assertThat(pi).isWaitingAt("Task_CopyOffsite");
        assertThat(h.catalog.list("staging")).isEmpty();
    }

    @Test
    void unreachableDatabaseIsATechnicalFailureThatEndsInAnIncidentNamingTheProblem() {
        doThrow(new IllegalStateException(
                "postgres://127.0.0.1:5432/app is not reachable from web-1: connection refused"))
                .when(ops).dump(any(), anyString(), any());
        ProcessInstance pi = start("target", "appdb");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> execute("Task_Dump")).hasMessageContaining("not reachable");
            ext.getManagementService().createJobQuery().processInstanceId(pi.getId()).list()
                    .forEach(j -> ext.getManagementService().setJobDuedate(j.getId(), null));
        }
        Incident incident = ext.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).singleResult();
        assertThat(incident).isNotNull();
        assertThat(incident.getIncidentMessage()).contains("not reachable");
        assertThat(pi).isActive().isWaitingAt("Task_Dump");
        assertThat(h.catalog.list("staging")).isEmpty();
        assertThat(h.store.list("")).isEmpty();
    }

    @Test
    void badInputIsRefusedAndNothingStarts() {
        assertThatThrownBy(() -> start("target", "nope")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("target: 'nope' is not a backup target of staging");
        assertThatThrownBy(() -> start("target", "$(reboot)")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("target:");
        assertThatThrownBy(() -> start("environment", "empty")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("has nothing to back up");
        assertThatThrownBy(() -> start("purpose", "whenever")).isInstanceOf(RunbookInputException.class)
                .hasMessageContaining("purpose:");
        assertThat(ext.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        verify(ops, never()).dump(any(), anyString(), any());
    }

    @Test
    void retentionRunsAfterEveryBackupAndDeletesExpiredCopiesWithTheirRows() {
        // staging keeps 2 daily + 1 weekly; three older days exist
        java.time.Instant now = java.time.Instant.parse("2025-03-12T02:00:00Z");
        h.seedBackup("staging", "appdb", "old-1", now.minus(java.time.Duration.ofDays(3)), Map.of());
        h.seedBackup("staging", "appdb", "old-2", now.minus(java.time.Duration.ofDays(2)), Map.of());
        h.seedBackup("staging", "appdb", "old-3", now.minus(java.time.Duration.ofDays(1)), Map.of());
        ClockUtil.setCurrentTime(java.util.Date.from(now));
        ProcessInstance pi = start("target", "appdb");
        assertThat(h.runJobs()).isEmpty();
        String id = (String) var(pi, "backupId");
        assertThat(h.catalog.list("staging", "appdb")).extracting(BackupEntry::id).containsExactly(id, "old-3");
        assertThat((String) var(pi, "retentionDeleted")).contains("old-1").contains("old-2");
        assertThat(h.store.list("staging/appdb/")).extracting(OffsiteStore.StoredObject::key)
                .containsExactlyInAnyOrder("staging/appdb/" + id + ".pgdump", "staging/appdb/old-3.pgdump");
    }

    void execute(String activityId) {
        var job = ext.getManagementService().createJobQuery().activityId(activityId).singleResult();
        assertThat(job).as("job at " + activityId).isNotNull();
        ext.getManagementService().executeJob(job.getId());
    }

    static List<String> ids(List<BackupEntry> l) {
        return l.stream().map(BackupEntry::id).toList();
    }
}
