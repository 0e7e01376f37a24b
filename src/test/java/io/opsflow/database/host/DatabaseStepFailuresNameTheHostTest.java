package io.opsflow.database.host;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.DirectoryOffsiteStore;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.migrate.MigrationFailedException;
import io.opsflow.migrate.RemoteMigrationOperations;
import io.opsflow.step.exec.CommandTimeoutException;
import io.opsflow.step.exec.StepCancelledException;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshConnectException;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * A restore or migration step that cannot reach the database's host, or whose command there times out or fails
 * without a result, fails with a message that starts with the host's name and says what failed — the SSH layer knows
 * only {@code user@127.0.0.1:port}, and the incident must name the host (FaultMatrixIT's restore and migrate cells).
 * Modelled failures (a failing migration) and a stopped step pass unchanged.
 */
class DatabaseStepFailuresNameTheHostTest {
    final SshConnections connections = mock(SshConnections.class);
    final WorkerScripts workers = mock(WorkerScripts.class);
    final StepLogs.MemoryStepLog log = StepLogs.memory();
    BackupTargets targets;
    BackupHosts hosts;
    RemoteRestoreOperations restore;
    RemoteMigrationOperations migrations;

    @BeforeEach
    void setUp() {
        EnvironmentsProperties ep = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec e = new EnvironmentsProperties.EnvironmentSpec();
        e.getSsh().setUser("ops");
        e.getSsh().setKeyRef("file:/nonexistent/key");
        e.getSsh().setKnownHosts("/nonexistent/known_hosts");
        for (String name : List.of("web-1", "db-host")) {
            EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
            h.setName(name);
            h.setAddress("127.0.0.1");
            h.setSshPort(2222);
            e.getHosts().add(h);
        }
        EnvironmentsProperties.DatabaseSpec d = new EnvironmentsProperties.DatabaseSpec();
        d.setName("appdb");
        d.setKind("postgres");
        d.setHost("127.0.0.1");
        d.setPort(5432);
        d.setDatabase("app");
        d.setUser("postgres");
        d.setRunOn("db-host");
        e.getDatabases().add(d);
        e.setArtifactStore("/srv/artifacts");
        ep.getEnvironments().put("it", e);
        Environments envs = new Environments(ep);
        targets = new BackupTargets(envs, new BackupProperties());
        SshProperties sshProps = new SshProperties(null, null, null, List.of(), "opsflow", 22, null, null);
        hosts = new BackupHosts(connections, new HostTargets(envs, sshProps), workers, targets,
                targets.properties());
        restore = new RemoteRestoreOperations(hosts, new DirectoryOffsiteStore(Path.of("target/none")), null);
        migrations = new RemoteMigrationOperations(hosts);
    }

    BackupTarget db() {
        return targets.get("it", "appdb");
    }

    static BackupEntry backup() {
        return new BackupEntry("it-appdb-1", "it", "appdb", "postgres", "postgres://127.0.0.1:5432/app",
                "file:/x", "it/appdb/x", 1, "ab", Instant.EPOCH, Instant.EPOCH, true, "on-demand", Map.of(), null,
                "pi", null);
    }

    void hostRefusesSsh() {
        when(connections.open(any(SshTarget.class))).thenThrow(new SshConnectException(
                "Cannot connect to ops@127.0.0.1:2222: Connection refused", null));
    }

    /** The session opens; the worker's run is {@code worker}. */
    void sessionOpens() {
        SshSession ssh = mock(SshSession.class);
        when(connections.open(any(SshTarget.class))).thenReturn(ssh);
        when(ssh.exec(anyList(), any(Duration.class), any())).thenReturn(new SshResult(0, "/home/ops\n", ""));
        when(ssh.execChecked(anyList(), any(Duration.class), any())).thenReturn(new SshResult(0, "", ""));
    }

    @Test
    void aRestoreThatCannotReachTheDatabaseHostNamesTheHostAndTheRestore() {
        hostRefusesSsh();
        assertThatThrownBy(() -> restore.restore(db(), backup(), "/staged/x.dump", false, log))
                .hasMessageStartingWith("db-host: restore of it-appdb-1 into appdb failed: Cannot connect to ops@")
                .hasCauseInstanceOf(SshConnectException.class);
        assertThatThrownBy(() -> restore.removeFromHost(db(), "/staged/x.dump", log))
                .hasMessageStartingWith("db-host: removing /staged/x.dump failed: ");
    }

    @Test
    void aRestoreCommandThatTimesOutNamesTheHost() {
        sessionOpens();
        when(workers.run(any(SshSession.class), eq("db-restore-postgres.sh"), anyList(), any(Duration.class), any()))
                .thenThrow(new CommandTimeoutException(Duration.ofSeconds(15), List.of("ssh", "ops@127.0.0.1:2222",
                        "db-restore-postgres.sh"), ""));
        assertThatThrownBy(() -> restore.restore(db(), backup(), "/staged/x.dump", false, log))
                .hasMessageStartingWith("db-host: restore of it-appdb-1 into appdb failed: Command timed out after "
                        + "15s");
    }

    @Test
    void aMigrationThatCannotReachTheDatabaseHostOrFailsWithoutAResultNamesTheHost() {
        hostRefusesSsh();
        assertThatThrownBy(() -> migrations.migrate(db(), "webapp", "1.2.0", log))
                .hasMessageStartingWith("db-host: db-migrate.sh of /srv/artifacts/webapp-1.2.0.tar.gz on "
                        + "postgres://127.0.0.1:5432/app failed: Cannot connect");
        assertThatThrownBy(() -> migrations.plan(db(), "webapp", "1.2.0", log))
                .hasMessageStartingWith("db-host: db-migrate.sh --plan of ");
    }

    @Test
    void aMigrationWorkerThatExitsWithoutNamingAFailedMigrationNamesTheHost() {
        sessionOpens();
        when(workers.run(any(SshSession.class), eq("db-migrate.sh"), anyList(), any(Duration.class), any()))
                .thenReturn(new WorkerResult(97, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                        .objectNode().put("ok", false).put("error", "injected"), ""));
        assertThatThrownBy(() -> migrations.migrate(db(), "webapp", "1.2.0", log))
                .hasMessage("db-host: db-migrate.sh for webapp 1.2.0 on postgres://127.0.0.1:5432/app failed: "
                        + "injected");
    }

    // ------------------------------------------------------------------ misuse: what must pass unchanged

    @Test
    void aFailingMigrationStaysModelledAndAStoppedStepStaysStopped() {
        sessionOpens();
        when(workers.run(any(SshSession.class), eq("db-migrate.sh"), anyList(), any(Duration.class), any()))
                .thenReturn(new WorkerResult(1, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                        .objectNode().put("ok", false).put("failed", "004_x.sql").put("error", "no column"), ""));
        assertThatThrownBy(() -> migrations.migrate(db(), "webapp", "2.0.0", log))
                .isInstanceOf(MigrationFailedException.class).hasMessageStartingWith("migration 004_x.sql failed");

        StepCancelledException stopped = new StepCancelledException("lease lost", "killed: ssh …");
        when(workers.run(any(SshSession.class), eq("db-restore-postgres.sh"), anyList(), any(Duration.class), any()))
                .thenThrow(stopped);
        assertThatThrownBy(() -> restore.restore(db(), backup(), "/staged/x.dump", false, log)).isSameAs(stopped);
    }
}
