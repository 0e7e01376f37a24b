package io.opsflow.backup.host;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.backup.BackupTarget;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.WorkerResult;

/** Runs workers/db-migrate.sh for a database target on its host (used by io.opsflow.migrate). */
public final class RemoteMigrationRunner {
    private final BackupHosts hosts;

    public RemoteMigrationRunner(BackupHosts hosts) {
        this.hosts = hosts;
    }

    /** The worker's result; {@code apply=false} only plans. */
    public WorkerResult run(BackupTarget db, String artifact, boolean apply, StepLog log) {
        if (!db.isDatabase()) {
            throw new IllegalArgumentException(db.name() + " is not a database");
        }
        try (BackupHosts.Session s = hosts.open(db, log)) {
            List<String> args = new ArrayList<>(List.of("--kind", db.kind(), "--database", db.database().database(),
                    "--artifact", artifact));
            args.addAll(DatabaseArgs.connection(db.database(), s.credentialsFile(db.database())));
            if (!apply) {
                args.add("--plan");
            }
            return s.worker("db-migrate.sh", args, hosts.properties().getStepTimeout());
        }
    }

    public static List<String> names(JsonNode array) {
        return DatabaseArgs.names(array);
    }
}
