package io.opsflow.migrate;

import java.util.List;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.backup.BackupTarget;
import io.opsflow.backup.host.BackupHosts;
import io.opsflow.backup.host.RemoteMigrationRunner;
import io.opsflow.platform.environments.Environment;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.WorkerResult;

/**
 * Migrations on the database's host with workers/db-migrate.sh: the artifact {@code <app>-<version>.tar.gz} comes
 * from the environment's artifact store (a directory on the host or an http(s) base URL), its {@code migrations/}
 * are applied in name order and recorded in {@code opsflow_schema_history}.
 */
@Component
public class RemoteMigrationOperations implements MigrationOperations {
    private final BackupHosts hosts;
    private final RemoteMigrationRunner runner;

    public RemoteMigrationOperations(BackupHosts hosts) {
        this.hosts = hosts;
        this.runner = new RemoteMigrationRunner(hosts);
    }

    @Override
    public Plan plan(BackupTarget db, String application, String version, StepLog log) {
        JsonNode j = ok(runner.run(db, artifact(db, application, version), false, log), db, application, version);
        return new Plan(RemoteMigrationRunner.names(j.path("all")), RemoteMigrationRunner.names(j.path("appliedBefore")),
                RemoteMigrationRunner.names(j.path("pending")));
    }

    @Override
    public List<String> migrate(BackupTarget db, String application, String version, StepLog log) {
        WorkerResult r = runner.run(db, artifact(db, application, version), true, log);
        String failed = r.json().path("failed").asText("");
        if (!r.ok() && !failed.isEmpty()) {
            throw new MigrationFailedException(failed, RemoteMigrationRunner.names(r.json().path("applied")),
                    r.error());
        }
        return RemoteMigrationRunner.names(ok(r, db, application, version).path("applied"));
    }

    private static JsonNode ok(WorkerResult r, BackupTarget db, String application, String version) {
        if (!r.ok()) {
            throw new IllegalStateException("db-migrate.sh for " + application + " " + version + " on " + db.source()
                    + " failed: " + (r.error() != null ? r.error() : "exit " + r.exitCode()));
        }
        return r.json();
    }

    /** {@code <artifact-store>/<app>-<version>.tar.gz}. */
    String artifact(BackupTarget db, String application, String version) {
        Environment env = hosts.environments().get(db.environment());
        String base = env.artifactStore();
        if (base == null || base.isBlank()) {
            throw new IllegalStateException("environment " + env.name() + " has no artifact store (opsflow.environments."
                    + env.name() + ".artifact-store): the migrations come from the release artifact");
        }
        return (base.endsWith("/") ? base : base + "/") + application + "-" + version + ".tar.gz";
    }
}
