package io.opsflow.backup.host;

import java.io.InputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.host.BackupHosts;
import io.opsflow.database.host.DatabaseArgs;
import io.opsflow.step.exec.StepLog;

/**
 * Backups on the hosts: db-backup-postgres.sh (pg_dump -Fc), db-backup-mariadb.sh (mysqldump --single-transaction)
 * or dir-archive.sh into the host's staging directory, then a streaming SFTP copy into the offsite store.
 */
@Component
class RemoteBackupOperations implements BackupOperations {
    private final BackupHosts hosts;
    private final OffsiteStore store;

    RemoteBackupOperations(BackupHosts hosts, OffsiteStore store) {
        this.hosts = hosts;
        this.store = store;
    }

    @Override
    public Dump dump(BackupTarget t, String backupId, StepLog log) {
        try (BackupHosts.Session s = hosts.open(t, log)) {
            // dumps of this target left behind by runs that died (cancelled, crashed) are removed first: partial
            // ones nobody writes any more at once, finished ones after the orphan grace
            s.sweepUnheld(partials(t));
            s.sweep(t.environment() + "-" + t.name() + "-*");
            String out = s.staging() + "/" + backupId + "." + t.extension();
            List<String> args = new ArrayList<>();
            String script;
            String what;
            if (t.isDatabase()) {
                script = BackupTarget.POSTGRES.equals(t.kind()) ? "db-backup-postgres.sh" : "db-backup-mariadb.sh";
                what = "backup of database " + t.name() + " (" + t.source() + ")";
                args.addAll(List.of("--database", t.database().database(), "--output", out));
                args.addAll(DatabaseArgs.connection(t.database(), s.credentialsFile(t.database())));
                args.addAll(List.of("--verify-query", DatabaseArgs.schemaQuery(t.kind())));
            } else {
                script = "dir-archive.sh";
                what = "archive of directory " + t.name() + " (" + t.source() + ")";
                args.addAll(List.of("--source", s.absolute(t.path()), "--output", out));
            }
            JsonNode j;
            try {
                j = s.workerOk(script, args, hosts.properties().getStepTimeout(), what);
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + (t.isDatabase() ? ". Check that " + t.source()
                        + " is reachable from " + s.hostName() + " and the credentials (opsflow.environments."
                        + t.environment() + ".databases[" + t.name() + "].user/password-ref)" : ""), e);
            }
            Map<String, Long> counts = t.isDatabase() ? DatabaseArgs.counts(j) : Map.of("files", j.path("files").asLong());
            return new Dump(out, j.path("size").asLong(), j.path("sha256").asText(), counts,
                    t.isDatabase() ? DatabaseArgs.text(j, "verifyValue") : null,
                    Instant.parse(j.path("startedAt").asText()), Instant.parse(j.path("finishedAt").asText()));
        }
    }

    @Override
    public OffsiteStore.StoredObject copyOffsite(BackupTarget t, String hostPath, String key, StepLog log) {
        try (BackupHosts.Session s = hosts.open(t, log); InputStream in = s.download(hostPath)) {
            log.line("step", "copying " + s.hostName() + ":" + hostPath + " to " + store.location(key));
            OffsiteStore.StoredObject o = store.put(key, in);
            log.line("step", "stored " + o.size() + " bytes, sha256 " + o.sha256());
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException("copy of " + hostPath + " to " + store.location(key) + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void removeFromHost(BackupTarget t, String hostPath, StepLog log) {
        try (BackupHosts.Session s = hosts.open(t, log)) {
            s.removeStaged(hostPath);
            // and a partial dump of this target an earlier attempt's dump tool finished writing meanwhile (a node
            // killed during the dump: its pg_dump outlives the SSH connection)
            s.sweepUnheld(partials(t));
        }
    }

    /**
     * The {@code find -name} pattern of the target's partial dumps in the staging directory: its backup ids
     * ({@code <env>-<target>-<yyyymmdd>t<hhmmss>z-<random>}, {@link io.opsflow.backup.BackupIds}) spelled out, so
     * target {@code app} never matches the files of a target {@code app-files}.
     */
    static String partials(BackupTarget t) {
        return t.environment() + "-" + t.name() + "-" + "[0-9]".repeat(8) + "t" + "[0-9]".repeat(6) + "z-*.partial-*";
    }
}
