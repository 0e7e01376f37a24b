package io.opsflow.database.host;

import java.io.InputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.ChecksumMismatchException;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.RestoreOperations;
import io.opsflow.environments.Environment;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.fleet.HostProbe;
import io.opsflow.fleet.ServiceResult;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.SshResult;

/**
 * Restores on the hosts: the offsite copy is checked and streamed to the host's staging directory by SFTP (and
 * checked again there), db-restore-postgres.sh / db-restore-mariadb.sh / dir-restore.sh restore it (the original with
 * --recreate, so objects created after the backup disappear; a drill into a fresh scratch database). The writers (the
 * running instances of the configured applications) are found, stopped, started and probed through the fleet client
 * ({@link FleetScope}: inventory.sh, service.sh, health-probe.sh).
 */
@Component
public class RemoteRestoreOperations implements RestoreOperations {
    private final BackupHosts hosts;
    private final OffsiteStore store;
    private final Fleet fleet;

    public RemoteRestoreOperations(BackupHosts hosts, OffsiteStore store, Fleet fleet) {
        this.hosts = hosts;
        this.store = store;
        this.fleet = fleet;
    }

    @Override
    public String stageOnHost(BackupTarget t, BackupEntry b, StepLog log) {
        String offsite = store.sha256(b.objectKey());
        if (!offsite.equals(b.sha256())) {
            throw new ChecksumMismatchException("offsite copy " + b.location(), b.sha256(), offsite);
        }
        log.line("step", "offsite copy " + b.location() + " matches the catalog (sha256 " + offsite + ")");
        return hosts.onHost(t, "staging backup " + b.id(), log, s -> {
            s.sweep("restore-*");
            String path = s.stagingPath("restore-" + b.id() + "-", "." + t.extension());
            String partial = path + ".partial";
            try (InputStream in = store.open(b.objectKey())) {
                s.upload(in, partial, 0600);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + b.location() + " failed: " + e.getMessage(), e);
            }
            s.exec(List.of("mv", "-f", "--", partial, path), BackupHosts.SHORT);
            String onHost = s.sha256(path);
            if (!onHost.equals(b.sha256())) {
                s.removeStaged(path);
                throw new ChecksumMismatchException("copy on " + s.hostName() + ":" + path, b.sha256(), onHost);
            }
            log.line("step", "staged on " + s.hostName() + ":" + path + " (sha256 verified)");
            return path;
        });
    }

    @Override
    public List<String> stopWriters(BackupTarget t, StepLog log) {
        List<String> apps = hosts.targets().writers(t.environment(), t.name());
        if (apps.isEmpty()) {
            log.line("step", "no writers configured for " + t.environment() + "/" + t.name()
                    + " (opsflow.backup.environments." + t.environment() + ".writers." + t.name() + ")");
            return List.of();
        }
        FleetScope f = fleet.in(t.environment(), BackupHosts.SHORT, log);
        List<String> running = new ArrayList<>();
        f.inventory(false).values().forEach(onHost -> onHost.stream()
                .filter(i -> apps.contains(i.app()) && i.running())
                .forEach(i -> running.add(i.host() + "/" + i.app() + "/" + i.instance())));
        List<String> stopped = new ArrayList<>();
        try {
            for (String w : running) {
                Writer wr = Writer.parse(w);
                f.stop(wr.host(), wr.app(), wr.instance());
                stopped.add(w);
            }
        } catch (RuntimeException e) {
            // leave things as they were: a retry of this step must find the writers running again
            try {
                startWriters(t, stopped, log);
            } catch (RuntimeException restart) {
                e.addSuppressed(restart);
            }
            throw e;
        }
        log.line("step", "stopped writers: " + stopped);
        return stopped;
    }

    @Override
    public Restored restore(BackupTarget t, BackupEntry b, String hostPath, boolean scratch, StepLog log) {
        String what = "restore of " + b.id() + (scratch ? " into scratch" : " into " + t.name());
        return hosts.onHost(t, what, log, s -> {
            List<String> args = new ArrayList<>();
            if (t.isDatabase()) {
                Environment.Database db = t.database();
                String into = scratch ? DatabaseArgs.scratchName(db.database()) : db.database();
                String script = BackupTarget.POSTGRES.equals(t.kind()) ? "db-restore-postgres.sh"
                        : "db-restore-mariadb.sh";
                args.addAll(List.of("--database", into, "--input", hostPath, "--sha256", b.sha256()));
                args.addAll(DatabaseArgs.connection(db, s.credentialsFile(db)));
                args.add("--recreate");
                if (scratch && BackupTarget.POSTGRES.equals(t.kind())) {
                    args.add("--no-owner");
                }
                args.addAll(List.of("--verify-query", DatabaseArgs.schemaQuery(t.kind())));
                JsonNode j = s.workerOk(script, args, hosts.properties().getStepTimeout(), "restore of " + b.id()
                        + " into database " + into);
                return new Restored(into, DatabaseArgs.counts(j), DatabaseArgs.text(j, "verifyValue"));
            }
            String into = scratch ? s.staging() + "/scratch/" + b.id() : s.absolute(t.path());
            if (scratch) {
                s.exec(List.of("mkdir", "-p", "--", s.staging() + "/scratch"), BackupHosts.SHORT);
            }
            args.addAll(List.of("--input", hostPath, "--target", into, "--sha256", b.sha256(), "--mode", "replace"));
            JsonNode j = s.workerOk("dir-restore.sh", args, hosts.properties().getStepTimeout(), "restore of "
                    + b.id() + " into directory " + into);
            return new Restored(into, Map.of("files", j.path("files").asLong()), null);
        });
    }

    @Override
    public void dropScratch(BackupTarget t, String into, StepLog log) {
        hosts.onHost(t, "dropping scratch " + into, log, s -> {
            if (!t.isDatabase()) {
                s.removeStaged(into);
                return null;
            }
            if (!into.endsWith(DatabaseArgs.SCRATCH_SUFFIX) || !into.matches("[A-Za-z0-9_]{1,63}")) {
                throw new IllegalArgumentException("refusing to drop " + into + ": not a scratch database");
            }
            Environment.Database db = t.database();
            String cred = s.credentialsFile(db);
            List<String> argv = new ArrayList<>();
            if (BackupTarget.POSTGRES.equals(t.kind())) {
                if (cred != null) {
                    argv.addAll(List.of("env", "PGPASSFILE=" + cred));
                }
                argv.addAll(List.of("dropdb", "-w", "-h", db.host(), "-p", String.valueOf(db.port()), "-U", db.user(),
                        "--maintenance-db=postgres", "--if-exists", "--force", into));
            } else {
                argv.add("mysql");
                if (cred != null) {
                    argv.add("--defaults-extra-file=" + cred);
                }
                argv.addAll(List.of("--host=" + db.host(), "--port=" + db.port(), "--user=" + db.user(), "--batch",
                        "-e", "DROP DATABASE IF EXISTS `" + into + "`"));
            }
            SshResult r = s.exec(argv, BackupHosts.SHORT);
            if (r.exitCode() != 0) {
                throw new IllegalStateException("dropping scratch database " + into + " on " + s.hostName()
                        + " failed (exit " + r.exitCode() + "): " + r.stderrTail());
            }
            return null;
        });
    }

    @Override
    public void startWriters(BackupTarget t, List<String> instances, StepLog log) {
        FleetScope f = fleet.in(t.environment(), BackupHosts.SHORT, log);
        for (String w : instances) {
            Writer wr = Writer.parse(w);
            // started but unhealthy is for the health check to judge, not a failure to start
            ServiceResult r = f.start(wr.host(), wr.app(), wr.instance(), BackupHosts.SHORT);
            log.line("step", "started " + w + ": " + r.state());
        }
    }

    @Override
    public List<String> unhealthy(BackupTarget t, List<String> instances, StepLog log) {
        FleetScope f = fleet.in(t.environment(), BackupHosts.SHORT, log);
        List<String> bad = new ArrayList<>();
        for (String w : instances) {
            Writer wr = Writer.parse(w);
            if (!f.status(wr.host(), wr.app(), wr.instance()).running()) {
                bad.add(w + ": not running");
                continue;
            }
            HostProbe probe = f.probeOnHost(wr.host(), wr.app(), wr.instance(), 15, Duration.ofSeconds(1));
            if (!probe.healthy()) {
                bad.add(w + ": " + probe.describe());
            }
        }
        return bad;
    }

    @Override
    public void removeFromHost(BackupTarget t, String hostPath, StepLog log) {
        hosts.onHost(t, "removing " + hostPath, log, s -> {
            s.removeStaged(hostPath);
            return null;
        });
    }

    /** A writer as the run records it: {@code host/app/instance}. */
    record Writer(String host, String app, String instance) {
        static Writer parse(String writer) {
            String[] p = writer.split("/", 3);
            if (p.length != 3) {
                throw new IllegalArgumentException("not a writer (host/app/instance): " + writer);
            }
            return new Writer(p[0], p[1], p[2]);
        }
    }
}
