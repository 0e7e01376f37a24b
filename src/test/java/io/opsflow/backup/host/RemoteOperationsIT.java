package io.opsflow.backup.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.http.HttpHealthCheck;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.fleet.Fleet;
import io.opsflow.backup.BackupIds;
import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.ChecksumMismatchException;
import io.opsflow.database.DirectoryOffsiteStore;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.RestoreVerification;
import io.opsflow.database.host.BackupHosts;
import io.opsflow.database.host.RemoteRestoreOperations;
import io.opsflow.migrate.MigrationFailedException;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.migrate.RemoteMigrationOperations;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.sandbox.artifacts.ArtifactStore;
import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.WorkerScripts;
import io.opsflow.testsupport.DatabaseSnapshot;
import io.opsflow.testsupport.OpenSshd;
import io.opsflow.testsupport.RealComponent;

/**
 * The real backup, restore and migration operations over SSH (a real sshd on loopback) with the workers/ scripts
 * against the real PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306): back up, damage, restore, the rows are
 * back exactly; drills into scratch; checksum mismatch; unreachable database; migrations and a failing one.
 */
class RemoteOperationsIT {
    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/";
    static final String MY_URL = "jdbc:mariadb://127.0.0.1:3306/";
    static OpenSshd sshd;
    static String pgDb;
    static String myDb;

    @TempDir
    static Path tmp;

    BackupHosts hosts;
    RemoteBackupOperations backup;
    RemoteRestoreOperations restore;
    RemoteMigrationOperations migrations;
    DirectoryOffsiteStore store;
    BackupTargets targets;
    StepLogs.MemoryStepLog log;

    @BeforeAll
    static void setUpAll() throws Exception {
        RealComponent.available(canConnect(PG_URL + "postgres", "postgres"), "PostgreSQL at 127.0.0.1:5432 (user "
                + "postgres, trust)");
        RealComponent.available(canConnect(MY_URL, "root"), "MariaDB at 127.0.0.1:3306 (root, no password)");
        RealComponent.require("pg_dump", "apt-get install postgresql-client");
        RealComponent.require("mysqldump", "apt-get install mariadb-client");
        sshd = OpenSshd.start();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        pgDb = "opsflow_it_" + suffix;
        myDb = "opsflow_it_" + suffix;
        sql(PG_URL + "postgres", "postgres", "CREATE DATABASE " + pgDb);
        sql(MY_URL, "root", "CREATE DATABASE " + myDb);
    }

    @AfterAll
    static void tearDownAll() throws Exception {
        if (pgDb != null) {
            sql(PG_URL + "postgres", "postgres", "DROP DATABASE IF EXISTS " + pgDb + " WITH (FORCE)");
            sql(PG_URL + "postgres", "postgres", "DROP DATABASE IF EXISTS " + pgDb + "_opsflow_scratch WITH (FORCE)");
            sql(MY_URL, "root", "DROP DATABASE IF EXISTS " + myDb);
            sql(MY_URL, "root", "DROP DATABASE IF EXISTS " + myDb + "_opsflow_scratch");
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        Path pw = tmp.resolve("pg-password");
        Files.writeString(pw, "not:needed\\with-trust");
        Path artifacts = tmp.resolve("artifacts");
        ArtifactStore.build(artifacts);
        Files.createDirectories(tmp.resolve("uploads/img"));

        EnvironmentsProperties ep = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec e = new EnvironmentsProperties.EnvironmentSpec();
        e.getSsh().setUser(sshd.user());
        e.getSsh().setKeyRef("file:" + sshd.clientPrivateKey());
        e.getSsh().setKnownHosts(sshd.knownHostsFile().toString());
        EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
        h.setName("db-host");
        h.setAddress("127.0.0.1");
        h.setSshPort(sshd.port());
        e.getHosts().add(h);
        e.getDatabases().add(db("pgdb", "postgres", 5432, pgDb, "postgres", "file:" + pw));
        e.getDatabases().add(db("mydb", "mariadb", 3306, myDb, "root", null));
        e.getDatabases().add(db("gone", "postgres", 1, pgDb, "postgres", null));
        e.setArtifactStore(artifacts.toString());
        ep.getEnvironments().put("it", e);
        Environments envs = new Environments(ep);

        BackupProperties props = new BackupProperties();
        props.setHostStagingDir(tmp.resolve("staging").toString());
        BackupProperties.EnvironmentBackup eb = new BackupProperties.EnvironmentBackup();
        eb.getDirectories().add(new BackupProperties.Directory("uploads", "db-host", tmp.resolve("uploads").toString()));
        props.getEnvironments().put("it", eb);
        targets = new BackupTargets(envs, props);
        SshConnections connections = new SshConnections(Duration.ofSeconds(10));
        SshProperties sshProps = new SshProperties(null, null, null, List.of(), "opsflow", 22, null, null);
        WorkerScripts workers = new WorkerScripts(connections, Path.of("workers"),
                tmp.resolve("remote-workers").toString());
        hosts = new BackupHosts(connections, new HostTargets(envs, sshProps), workers, targets, props);
        store = new DirectoryOffsiteStore(tmp.resolve("offsite"));
        backup = new RemoteBackupOperations(hosts, store);
        HostTargets hostTargets = new HostTargets(envs, sshProps);
        restore = new RemoteRestoreOperations(hosts, store, new Fleet(envs, hostTargets, workers,
                new SshFanOut(connections), new SshStep(connections), new HttpHealthCheck()));
        migrations = new RemoteMigrationOperations(hosts);
        log = StepLogs.memory();
    }

    static EnvironmentsProperties.DatabaseSpec db(String name, String kind, int port, String database, String user,
                                                  String passwordRef) {
        EnvironmentsProperties.DatabaseSpec d = new EnvironmentsProperties.DatabaseSpec();
        d.setName(name);
        d.setKind(kind);
        d.setHost("127.0.0.1");
        d.setPort(port);
        d.setDatabase(database);
        d.setUser(user);
        d.setPasswordRef(passwordRef);
        return d;
    }

    BackupEntry backUp(BackupTarget t) {
        String id = BackupIds.newId("it", t.name(), Instant.now());
        BackupOperations.Dump d = backup.dump(t, id, log);
        assertThat(Path.of(d.hostPath())).exists();
        String key = BackupIds.objectKey(t, id);
        OffsiteStore.StoredObject o = backup.copyOffsite(t, d.hostPath(), key, log);
        assertThat(o.sha256()).isEqualTo(d.sha256()).isEqualTo(store.sha256(key));
        assertThat(o.size()).isEqualTo(d.sizeBytes());
        backup.removeFromHost(t, d.hostPath(), log);
        assertThat(Path.of(d.hostPath())).doesNotExist();
        return new BackupEntry(id, "it", t.name(), t.kind(), t.source(), store.location(key), key, o.size(),
                o.sha256(), d.startedAt(), d.finishedAt(), true, "on-demand", d.rowCounts(), d.verifyValue(), "pi",
                null);
    }

    @Test
    void postgresBackupDamageRestoreTheRowsAreBackExactly() throws Exception {
        String url = PG_URL + pgDb;
        sql(url, "postgres", "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50), price NUMERIC(8,2))");
        sql(url, "postgres", "INSERT INTO items VALUES (1, 'welcome', 1.50), (2, 'sample', NULL), (3, 'it''s', 9)");
        sql(url, "postgres", "CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id))");
        sql(url, "postgres", "INSERT INTO orders VALUES (10, 1), (11, 3)");
        List<String> before = dumpRows(url, "postgres");
        BackupTarget t = targets.get("it", "pgdb");

        BackupEntry b = backUp(t);
        assertThat(b.rowCounts()).containsEntry("public.items", 3L).containsEntry("public.orders", 2L);
        assertThat(b.verifyValue()).matches("[0-9a-f]{32}");
        assertThat(log.lines()).noneMatch(l -> l.contains("not:needed"));

        // damage: lost rows, a changed row, a table that was not there
        sql(url, "postgres", "DELETE FROM orders WHERE id = 11");
        sql(url, "postgres", "UPDATE items SET name = 'broken' WHERE id = 1");
        sql(url, "postgres", "CREATE TABLE junk (x INTEGER)");
        assertThat(dumpRows(url, "postgres")).isNotEqualTo(before);

        String staged = restore.stageOnHost(t, b, log);
        RestoreOperations.Restored r = restore.restore(t, b, staged, false, log);
        assertThat(r.into()).isEqualTo(pgDb);
        assertThat(RestoreVerification.differences(b, r)).isEmpty();
        assertThat(dumpRows(url, "postgres")).isEqualTo(before);
        restore.removeFromHost(t, staged, log);
        assertThat(Path.of(staged)).doesNotExist();

        // drill: into a scratch database, verified, dropped; the original is untouched
        String staged2 = restore.stageOnHost(t, b, log);
        RestoreOperations.Restored s = restore.restore(t, b, staged2, true, log);
        assertThat(s.into()).isEqualTo(pgDb + "_opsflow_scratch");
        assertThat(RestoreVerification.differences(b, s)).isEmpty();
        assertThat(dumpRows(PG_URL + s.into(), "postgres")).isEqualTo(before);
        restore.dropScratch(t, s.into(), log);
        assertThat(exists(PG_URL + "postgres", "postgres", "SELECT 1 FROM pg_database WHERE datname = '" + s.into()
                + "'")).isFalse();
        assertThatThrownBy(() -> restore.dropScratch(t, pgDb, log)).hasMessageContaining("not a scratch database");
        assertThat(dumpRows(url, "postgres")).isEqualTo(before);
    }

    @Test
    void mariadbBackupDamageRestoreTheRowsAreBackExactlyAndTheDrillDropsItsScratch() throws Exception {
        String url = MY_URL + myDb;
        sql(url, "root", "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(8,2))");
        sql(url, "root", "INSERT INTO items VALUES (1, 'welcome', 1.50), (2, 'sample', NULL), (3, 'it''s', 9)");
        List<String> before = dumpRows(url, "root");
        BackupTarget t = targets.get("it", "mydb");
        BackupEntry b = backUp(t);
        assertThat(b.rowCounts()).containsEntry("items", 3L);

        sql(url, "root", "DELETE FROM items WHERE id > 1");
        sql(url, "root", "ALTER TABLE items ADD COLUMN status VARCHAR(10)");
        RestoreOperations.Restored r = restore.restore(t, b, restore.stageOnHost(t, b, log), false, log);
        assertThat(RestoreVerification.differences(b, r)).isEmpty();
        assertThat(dumpRows(url, "root")).isEqualTo(before);

        RestoreOperations.Restored s = restore.restore(t, b, restore.stageOnHost(t, b, log), true, log);
        assertThat(s.into()).isEqualTo(myDb + "_opsflow_scratch");
        assertThat(RestoreVerification.differences(b, s)).isEmpty();
        restore.dropScratch(t, s.into(), log);
        assertThat(exists(MY_URL, "root", "SELECT 1 FROM information_schema.schemata WHERE schema_name = '"
                + s.into() + "'")).isFalse();
    }

    @Test
    void directoryArchiveRestoresTheTreeExactly() throws Exception {
        Path dir = tmp.resolve("uploads");
        Files.writeString(dir.resolve("a.txt"), "alpha");
        Files.writeString(dir.resolve("img/b.bin"), "beta");
        BackupTarget t = targets.get("it", "uploads");
        BackupEntry b = backUp(t);
        assertThat(b.rowCounts()).containsKey("files");
        Files.delete(dir.resolve("a.txt"));
        Files.writeString(dir.resolve("img/b.bin"), "changed");
        Files.writeString(dir.resolve("new.txt"), "not in the backup");
        RestoreOperations.Restored r = restore.restore(t, b, restore.stageOnHost(t, b, log), false, log);
        assertThat(RestoreVerification.differences(b, r)).isEmpty();
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("alpha");
        assertThat(Files.readString(dir.resolve("img/b.bin"))).isEqualTo("beta");
        assertThat(dir.resolve("new.txt")).doesNotExist();
    }

    @Test
    void aDamagedOffsiteCopyIsRefusedBeforeAnythingIsTouched() throws Exception {
        BackupTarget t = targets.get("it", "uploads");
        Files.writeString(tmp.resolve("uploads/c.txt"), "gamma");
        BackupEntry b = backUp(t);
        Path copy = store.root().resolve(b.objectKey());
        byte[] bytes = Files.readAllBytes(copy);
        bytes[bytes.length / 2] ^= 1;
        Files.write(copy, bytes);
        assertThatThrownBy(() -> restore.stageOnHost(t, b, log)).isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("offsite copy").hasMessageContaining(b.sha256());
        try (Stream<Path> staged = Files.list(tmp.resolve("staging"))) {
            assertThat(staged.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("restore-"));
        }
    }

    @Test
    void anUnreachableDatabaseFailsWithAClearMessageAndLeavesNoFile() throws Exception {
        BackupTarget t = targets.get("it", "gone");
        assertThatThrownBy(() -> backup.dump(t, BackupIds.newId("it", "gone", Instant.now()), log))
                .hasMessageContaining("backup of database gone (postgres://127.0.0.1:1/" + pgDb + ") failed on db-host")
                .hasMessageContaining("Check that postgres://127.0.0.1:1/" + pgDb + " is reachable from db-host");
        try (Stream<Path> staged = Files.list(tmp.resolve("staging"))) {
            assertThat(staged.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("it-gone-"));
        }
        assertThat(credentialsFiles()).isEmpty();
    }

    /** The credentials files on the host (the staging directory's private .credentials directory). */
    private List<String> credentialsFiles() throws Exception {
        Path dir = tmp.resolve("staging/.credentials");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** What a crash leaves: a credentials file of an earlier step, older than the sweep's grace period. */
    private Path leftByACrash(String name) throws Exception {
        Path dir = tmp.resolve("staging/.credentials");
        Files.createDirectories(dir);
        Path f = Files.writeString(dir.resolve(name), "127.0.0.1:5432:*:postgres:old-secret\n");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofMinutes(10))));
        return f;
    }

    @Test
    void aNormalRunLeavesNoCredentialsFileAndTheirDirectoryIsPrivate() throws Exception {
        BackupTarget t = targets.get("it", "pgdb");
        sql(PG_URL + pgDb, "postgres", "CREATE TABLE IF NOT EXISTS c (id INTEGER)");
        backUp(t);
        assertThat(credentialsFiles()).isEmpty();
        assertThat(Files.getPosixFilePermissions(tmp.resolve("staging/.credentials")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aCredentialsFileLeftByACrashIsGoneAfterTheNextStepRunButOneInUseIsKept() throws Exception {
        leftByACrash("cred-0badc0de0badc0de.pgpass");
        leftByACrash("cred-1badc0de1badc0de.cnf");
        Path inUse = leftByACrash("cred-2badc0de2badc0de.pgpass");
        // a worker of another step still runs with its file: it holds a shared flock, as hold_credentials does
        Process worker = new ProcessBuilder("flock", "-s", inUse.toString(), "sleep", "300").start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (new ProcessBuilder("flock", "-n", "-x", inUse.toString(), "true").start().waitFor() == 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            BackupTarget t = targets.get("it", "pgdb");
            sql(PG_URL + pgDb, "postgres", "CREATE TABLE IF NOT EXISTS c (id INTEGER)");
            backUp(t);
            assertThat(credentialsFiles()).as("the crash's files swept, the one in use kept")
                    .containsExactly("cred-2badc0de2badc0de.pgpass");
        } finally {
            List<ProcessHandle> tree = new ArrayList<>(worker.descendants().toList()); // the sleep holds the lock too
            tree.add(worker.toHandle());
            tree.forEach(ProcessHandle::destroyForcibly);
            tree.forEach(h -> h.onExit().join());
        }
        // its worker is gone (killed): the next step run sweeps it too
        hosts.open(targets.get("it", "pgdb"), log).close();
        assertThat(credentialsFiles()).isEmpty();
    }

    /**
     * A session that cannot remove its credentials file when it closes (here: the step was stopped, as when the lease
     * is lost; in FaultMatrixIT the host refused SSH mid-restore) leaves it for the next session of the node on that
     * host — the retry of the step, within the sweep's grace minute — which removes it.
     */
    @Test
    void aCredentialsFileASessionCouldNotRemoveIsRemovedByTheNextSessionOnThatHostAtOnce() throws Exception {
        BackupTarget t = targets.get("it", "pgdb");
        StepCancellation stop = new StepCancellation();
        Path written;
        try (StepCancellation.Scope bound = StepCancellation.bind(stop)) {
            BackupHosts.Session s = hosts.open(t, log);
            written = Path.of(s.credentialsFile(t.database()));
            assertThat(written).exists();
            stop.cancel("FaultMatrixIT: lease lost");
            s.close(); // its rm is refused: the step was stopped
        }
        assertThat(written).as("left by the stopped session").exists();
        try (BackupHosts.Session retry = hosts.open(t, log)) {
            assertThat(written).as("removed by the next session, inside the sweep's grace minute").doesNotExist();
        }
        assertThat(credentialsFiles()).isEmpty();
    }

    @Test
    void aPartialDumpLeftByAKilledNodeIsSweptButOneStillBeingWrittenAndAnotherTargetsAreKept() throws Exception {
        BackupTarget t = targets.get("it", "pgdb");
        Path staging = tmp.resolve("staging");
        Files.createDirectories(staging);
        String id = BackupIds.newId("it", t.name(), Instant.now().minus(Duration.ofMinutes(5)));
        // node A was killed in its dump: its worker died, its pg_dump wrote on and finished; nobody holds the file
        Path orphan = Files.writeString(staging.resolve(id + ".pgdump.partial-a1b2c3"), "PGDMP half");
        // another attempt's dump tool is still writing: it holds the worker's exclusive flock (workers/lib/output.sh)
        Path writing = Files.writeString(staging.resolve(id + ".pgdump.partial-d4e5f6"), "PGDMP growing");
        // a target whose name starts with this one's ("pgdb-files") is not this target's business
        Path otherTarget = Files.writeString(staging.resolve(
                BackupIds.newId("it", "pgdb-files", Instant.now()) + ".tar.gz.partial-0f0f0f"), "x");
        Process writer = new ProcessBuilder("flock", "-x", writing.toString(), "sleep", "300").start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (new ProcessBuilder("flock", "-n", "-x", writing.toString(), "true").start().waitFor() == 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            sql(PG_URL + pgDb, "postgres", "CREATE TABLE IF NOT EXISTS c (id INTEGER)");
            backUp(t);
            assertThat(orphan).as("unheld: removed by the next backup of the target").doesNotExist();
            assertThat(writing).as("still held by its writer: kept").exists();
            assertThat(otherTarget).as("another target's").exists();
        } finally {
            List<ProcessHandle> tree = new ArrayList<>(writer.descendants().toList());
            tree.add(writer.toHandle());
            tree.forEach(ProcessHandle::destroyForcibly);
            tree.forEach(h -> h.onExit().join());
        }
        // its writer is gone: the end of the next run (removeFromHost, Task_CleanupHost) sweeps it
        backup.removeFromHost(t, staging.resolve(id + ".pgdump").toString(), log);
        assertThat(writing).doesNotExist();
        assertThat(otherTarget).exists();
        Files.delete(otherTarget);
        try (BackupHosts.Session s = hosts.open(t, log)) {
            assertThatThrownBy(() -> s.sweepUnheld("../*.partial-*")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aRunningWorkerHoldsItsPartialFileSoNoSweepCanTakeIt() throws Exception {
        BackupTarget t = targets.get("it", "pgdb");
        Path staging = tmp.resolve("staging");
        Files.createDirectories(staging);
        // a dump that waits for a table lock: the worker's partial file exists and is locked while pg_dump waits
        sql(PG_URL + pgDb, "postgres", "CREATE TABLE IF NOT EXISTS held (id INTEGER)");
        try (Connection c = DriverManager.getConnection(PG_URL + pgDb, "postgres", "")) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            }
            java.util.concurrent.CompletableFuture<BackupEntry> running =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> backUp(t));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            List<Path> partial = List.of();
            while (partial.isEmpty() && System.nanoTime() < deadline) {
                try (Stream<Path> files = Files.list(staging)) {
                    partial = files.filter(f -> f.getFileName().toString().startsWith("it-pgdb-2")
                            && f.getFileName().toString().contains(".partial-")).toList();
                }
                Thread.sleep(50);
            }
            assertThat(partial).as("the worker's partial file while pg_dump waits for the lock").hasSize(1);
            // the worker locks it right after creating it (mktemp, then flock) and keeps it while pg_dump waits
            int free = 0;
            while (System.nanoTime() < deadline && (free = new ProcessBuilder("flock", "-n", "-x",
                    partial.get(0).toString(), "true").start().waitFor()) == 0) {
                Thread.sleep(50);
            }
            assertThat(free).as("held by the worker").isNotZero();
            Thread.sleep(500);
            assertThat(new ProcessBuilder("flock", "-n", "-x", partial.get(0).toString(), "true").start().waitFor())
                    .as("still held while pg_dump waits").isNotZero();
            try (BackupHosts.Session s = hosts.open(t, log)) {
                s.sweepUnheld(RemoteBackupOperations.partials(t));
            }
            assertThat(partial.get(0)).as("a sweep meanwhile leaves it alone").exists();
            c.rollback(); // the lock goes, the dump finishes and is published
            assertThat(running.get(120, java.util.concurrent.TimeUnit.SECONDS).sizeBytes()).isPositive();
        }
    }

    @Test
    void aWorkerRemovesItsCredentialsFileEvenWhenTheNodeNeverClosesItsSession() throws Exception {
        BackupTarget t = targets.get("it", "pgdb");
        BackupHosts.Session s = hosts.open(t, log); // never closed: the node "died" after starting the worker
        String cred = s.credentialsFile(t.database());
        assertThat(credentialsFiles()).hasSize(1);
        List<String> args = new ArrayList<>(List.of("--database", pgDb, "--output",
                s.stagingPath("it-crash-", ".dump")));
        args.addAll(io.opsflow.database.host.DatabaseArgs.connection(t.database(), cred));
        assertThat(s.worker("db-backup-postgres.sh", args, Duration.ofMinutes(2)).ok()).isTrue();
        assertThat(credentialsFiles()).as("removed by the worker itself").isEmpty();
    }

    @Test
    void migrationsOfAReleaseArePlannedAppliedAndAFailingOneIsReported() throws Exception {
        String db = pgDb + "_m";
        sql(PG_URL + "postgres", "postgres", "DROP DATABASE IF EXISTS " + db);
        sql(PG_URL + "postgres", "postgres", "CREATE DATABASE " + db);
        try {
            BackupTarget t = new BackupTarget("it", "mig", "postgres", targets.hostOf(targets.get("it", "pgdb")),
                    new Environment.Database("mig", "postgres", "127.0.0.1", 5432, db, "postgres", null, null), null);
            MigrationOperations.Plan p = migrations.plan(t, "webapp", "1.1.0", log);
            assertThat(p.pending()).containsExactly("001_create_items.sql", "002_items_add_price.sql");
            assertThat(migrations.migrate(t, "webapp", "1.1.0", log)).containsExactly("001_create_items.sql",
                    "002_items_add_price.sql");
            assertThat(migrations.plan(t, "webapp", "1.2.0", log).pending()).containsExactly("003_create_orders.sql");
            assertThat(migrations.migrate(t, "webapp", "1.2.0", log)).containsExactly("003_create_orders.sql");
            assertThat(migrations.plan(t, "webapp", "1.2.0", log).pending()).isEmpty();
            assertThatThrownBy(() -> migrations.migrate(t, "webapp", "2.0.0-broken", log))
                    .isInstanceOf(MigrationFailedException.class).hasMessageContaining("004_orders_add_status.sql")
                    .hasMessageContaining("customer_id");
            assertThatThrownBy(() -> migrations.plan(t, "webapp", "9.9.9", log))
                    .hasMessageContaining("webapp-9.9.9.tar.gz does not exist");
        } finally {
            sql(PG_URL + "postgres", "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    // ------------------------------------------------------------------ helpers

    static boolean canConnect(String url, String user) {
        try (Connection c = DriverManager.getConnection(url, user, "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    static void sql(String url, String user, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static boolean exists(String url, String user, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            return rs.next();
        }
    }

    /** Every table with its columns and every row, in a stable order: equal lists = equal schema and data. */
    static List<String> dumpRows(String url, String user) throws SQLException {
        return DatabaseSnapshot.of(url, user);
    }
}
