package io.opsflow.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.RestoreOperations;
import io.opsflow.environments.Environments;
import io.opsflow.testsupport.TestEngines;

/**
 * The cron schedules: the generated opsflow-schedules process fires a backup (and a restore drill) per environment on
 * its cron; a start while the previous scheduled backup still runs does not back up twice; configuration changes
 * replace the timers; bad crons are refused with the key and the syntax.
 */
@Deployment(resources = {"backup.bpmn", "restore.bpmn",
        "restore-approval.form"})
class BackupScheduleProcessTest {
    static final Environments ENVS = BackupFixtures.environments();
    static final BackupProperties PROPS = BackupFixtures.properties();
    static final BackupTargets TARGETS = new BackupTargets(ENVS, PROPS);
    static final BackupCatalog CATALOG = BackupFixtures.standaloneCatalog();
    static final RestoreRunbook RESTORE = new RestoreRunbook(CATALOG, TARGETS);
    static final Instant T0 = Instant.parse("2025-03-12T01:59:59.300Z");

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new BackupRunbook(TARGETS), RESTORE);

    @TempDir
    Path dir;

    BackupOperations backupOps = mock(BackupOperations.class);
    RestoreOperations restoreOps = mock(RestoreOperations.class);
    BackupFixtures.Harness h;

    @BeforeEach
    void setUp() {
        ClockUtil.setCurrentTime(Date.from(T0));
        PROPS.environment("staging").setCron("*/2 * * * * *");
        PROPS.environment("staging").setDrillCron("0 0 4 * * SUN");
        PROPS.environment("staging").setDrillTarget("appdb");
        h = new BackupFixtures.Harness(ext.getProcessEngine(), ENVS, PROPS, dir, CATALOG);
        h.registerBackup(backupOps);
        h.simulateHost(backupOps);
        h.registerRestore(restoreOps, RESTORE);
    }

    @AfterEach
    void tearDown() {
        ClockUtil.reset();
        PROPS.environment("staging").setCron(null);
        PROPS.environment("staging").setDrillCron(null);
        PROPS.environment("production").setCron(null);
        ext.getRepositoryService().createDeploymentQuery().deploymentName(BackupSchedules.DEPLOYMENT).list()
                .forEach(d -> ext.getRepositoryService().deleteDeployment(d.getId(), true));
    }

    BackupSchedules schedules() {
        return new BackupSchedules(PROPS, TARGETS);
    }

    Job timer(String processKey) {
        return ext.getManagementService().createJobQuery().timers().processDefinitionKey(processKey).singleResult();
    }

    List<ProcessInstance> scheduledBackups() {
        return ext.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("backup")
                .variableValueEquals("purpose", "scheduled").list();
    }

    @Test
    void theCronFiresABackupOfTheEnvironmentAndSchedulesTheNextOne() {
        schedules().deploy(ext.getRepositoryService());
        Job first = timer("opsflow-schedule-backup-staging");
        assertThat(first).as("timer of the staging backup schedule").isNotNull();
        assertThat(first.getDuedate()).isEqualTo(Date.from(Instant.parse("2025-03-12T02:00:00Z")));
        assertThat(ext.getManagementService().createJobQuery().timers().executable().count()).isZero();

        ClockUtil.setCurrentTime(first.getDuedate());
        assertThat(ext.getManagementService().createJobQuery().timers().executable().list())
                .extracting(Job::getId).contains(first.getId());
        ext.getManagementService().executeJob(first.getId());

        ProcessInstance all = ext.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("backup")
                .variableValueEquals("purpose", "scheduled").variableValueEquals("singleTarget", false).singleResult();
        assertThat(all).isWaitingAt("CallActivity_EachTarget").variables().containsEntry("environment", "staging")
                .containsEntry("reason", "scheduled backup (*/2 * * * * *)")
                // nobody started it: the timer is the initiator, for the whole call chain
                .containsEntry("initiator", "timer");
        Job next = timer("opsflow-schedule-backup-staging");
        assertThat(next.getId()).isNotEqualTo(first.getId());
        assertThat(next.getDuedate()).isEqualTo(Date.from(Instant.parse("2025-03-12T02:00:02Z")));

        assertThat(h.runJobs()).isEmpty();
        assertThat(all).isEnded();
        assertThat(CATALOG.list("staging")).extracting(BackupEntry::purpose).containsOnly("scheduled").hasSize(2);
    }

    @Test
    void aStartWhileTheScheduledBackupStillRunsDoesNotBackUpAnyTargetTwice() {
        schedules().deploy(ext.getRepositoryService());
        ClockUtil.setCurrentTime(Date.from(Instant.parse("2025-03-12T02:00:00Z")));
        ext.getManagementService().executeJob(timer("opsflow-schedule-backup-staging").getId());
        ProcessInstance run1Appdb = child("appdb");
        assertThat(run1Appdb).isWaitingAt("Task_Dump");

        // the cron fires again while the first run still dumps appdb
        ClockUtil.setCurrentTime(Date.from(Instant.parse("2025-03-12T02:00:02Z")));
        ext.getManagementService().executeJob(timer("opsflow-schedule-backup-staging").getId());
        List<ProcessInstance> parents = ext.getRuntimeService().createProcessInstanceQuery()
                .processDefinitionKey("backup").variableValueEquals("singleTarget", false).orderByProcessInstanceId()
                .asc().list();
        assertThat(parents).hasSize(2);
        ProcessInstance run2Uploads = child("uploads");
        assertThat(ext.getHistoryService().createHistoricVariableInstanceQuery().variableName("skipReason")
                .singleResult().getValue()).asString().contains("backup:staging/appdb").contains(run1Appdb.getId());
        assertThat(h.locks.holder("backup:staging/appdb")).contains(run1Appdb.getId());
        assertThat(h.locks.holder("backup:staging/uploads")).contains(run2Uploads.getId());

        // the first run finishes appdb and moves on to uploads, which the second run is backing up
        runJobsOf(run1Appdb);
        assertThat(run1Appdb).isEnded();
        assertThat(h.runJobs()).isEmpty();

        verify(backupOps, times(2)).dump(any(), anyString(), any());
        verify(backupOps, times(1)).dump(argThat(t -> t.name().equals("appdb")), anyString(), any());
        verify(backupOps, times(1)).dump(argThat(t -> t.name().equals("uploads")), anyString(), any());
        assertThat(CATALOG.list("staging")).extracting(BackupEntry::target).containsExactlyInAnyOrder("appdb",
                "uploads");
        assertThat(ext.getHistoryService().createHistoricVariableInstanceQuery().variableName("skipReason").list())
                .extracting(v -> (String) v.getValue()).anySatisfy(r -> assertThat(r).contains("uploads")
                        .contains(run2Uploads.getId()));
        assertThat(ext.getRuntimeService().createProcessInstanceQuery().count()).isZero();
    }

    ProcessInstance child(String target) {
        return ext.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("backup")
                .variableValueEquals("target", target).variableValueEquals("lockAcquired", true).singleResult();
    }

    void runJobsOf(ProcessInstance pi) {
        for (int i = 0; i < 20; i++) {
            var jobs = ext.getManagementService().createJobQuery().processInstanceId(pi.getId()).messages().list();
            if (jobs.isEmpty()) {
                return;
            }
            jobs.forEach(j -> ext.getManagementService().executeJob(j.getId()));
        }
    }

    @Test
    void theDrillCronRestoresTheLatestBackupIntoScratch() {
        h.seedBackup("staging", "appdb", "staging-appdb-seed", T0.minus(Duration.ofHours(2)),
                Map.of("items", 2L));
        schedules().deploy(ext.getRepositoryService());
        Job drill = timer("opsflow-schedule-drill-staging");
        assertThat(drill.getDuedate()).isEqualTo(Date.from(Instant.parse("2025-03-16T04:00:00Z")
                .atZone(java.time.ZoneOffset.UTC).withZoneSameLocal(java.time.ZoneId.systemDefault()).toInstant()));
        ClockUtil.setCurrentTime(drill.getDuedate());
        ext.getManagementService().executeJob(drill.getId());
        ProcessInstance restore = ext.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("restore")
                .singleResult();
        assertThat(restore).isWaitingAt("Task_Stage").variables().containsEntry("backupId", "staging-appdb-seed")
                .containsEntry("targetKind", "scratch").containsEntry("drill", true)
                .containsEntry("reason", "scheduled restore drill (0 0 4 * * SUN)");
    }

    @Test
    void anUnchangedConfigurationIsNotRedeployedAChangedOneReplacesTheTimersAndARemovedOneStops() {
        assertThat(schedules().deploy(ext.getRepositoryService()).getDeployedProcessDefinitions())
                .extracting(d -> d.getKey()).containsExactlyInAnyOrder("opsflow-schedule-backup-staging",
                        "opsflow-schedule-drill-staging");
        assertThat(schedules().deploy(ext.getRepositoryService()).getDeployedProcessDefinitions()).isNullOrEmpty();

        PROPS.environment("staging").setCron("0 30 3 * * *");
        PROPS.environment("production").setCron("0 0 2 * * *");
        assertThat(schedules().deploy(ext.getRepositoryService()).getDeployedProcessDefinitions())
                .extracting(d -> d.getKey() + ":" + d.getVersion()).containsExactlyInAnyOrder(
                        "opsflow-schedule-backup-staging:2", "opsflow-schedule-backup-production:1");
        assertThat(ext.getManagementService().createJobQuery().timers()
                .processDefinitionKey("opsflow-schedule-backup-staging").count()).isEqualTo(1);
        assertThat(timer("opsflow-schedule-backup-staging").getDuedate()).isEqualTo(Date.from(
                java.time.LocalDateTime.parse("2025-03-12T03:30:00").atZone(java.time.ZoneId.systemDefault())
                        .toInstant()));
        assertThat(timer("opsflow-schedule-backup-production")).isNotNull();
        assertThat(timer("opsflow-schedule-drill-staging")).isNotNull();

        PROPS.environment("staging").setCron(null);
        PROPS.environment("staging").setDrillCron(null);
        PROPS.environment("production").setCron(null);
        assertThat(schedules().deploy(ext.getRepositoryService()).getDeployedProcessDefinitions())
                .extracting(d -> d.getKey()).containsExactlyInAnyOrder("opsflow-schedule-backup-staging",
                        "opsflow-schedule-drill-staging", "opsflow-schedule-backup-production");
        assertThat(ext.getManagementService().createJobQuery().timers().count()).isZero();
        assertThat(schedules().deploy(ext.getRepositoryService()).getDeployedProcessDefinitions()).isNullOrEmpty();
    }

    @Test
    void badCronsAndSchedulesWithoutTargetsAreRefusedWithTheKeyAndTheSyntax() {
        PROPS.environment("staging").setCron("0 2 * * *");
        assertThatThrownBy(() -> schedules().schedules()).hasMessageContaining("opsflow.backup.environments.staging"
                + ".cron = \"0 2 * * *\" is not a valid cron").hasMessageContaining("6-field Spring syntax");
        PROPS.environment("staging").setCron("0 0 2 * * ? 2025");
        assertThatThrownBy(() -> schedules().schedules()).hasMessageContaining("is not a valid cron");
        PROPS.environment("staging").setCron("0 0 2 * * *");
        PROPS.environment("staging").setDrillTarget("nope");
        assertThatThrownBy(() -> schedules().schedules()).hasMessageContaining("drill-target 'nope'");
        PROPS.environment("staging").setDrillTarget("appdb");
        PROPS.getEnvironments().put("empty", new BackupProperties.EnvironmentBackup());
        PROPS.environment("empty").setCron("0 0 2 * * *");
        try {
            assertThatThrownBy(() -> schedules().schedules()).hasMessageContaining("empty has nothing to back up");
        } finally {
            PROPS.getEnvironments().remove("empty");
        }
        assertThat(ext.getRepositoryService().createDeploymentQuery().deploymentName(BackupSchedules.DEPLOYMENT)
                .count()).isZero();
    }
}
