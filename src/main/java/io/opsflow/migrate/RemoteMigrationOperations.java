package io.opsflow.migrate;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.host.BackupHosts;
import io.opsflow.database.host.DatabaseArgs;
import io.opsflow.environments.Environment;
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

    public RemoteMigrationOperations(BackupHosts hosts) {
        this.hosts = hosts;
    }

    @Override
    public Plan plan(BackupTarget db, String application, String version, StepLog log) {
        JsonNode j = ok(run(db, artifact(db, application, version), false, log), db, application, version);
        return new Plan(names(j.path("all")), names(j.path("appliedBefore")), names(j.path("pending")));
    }

    @Override
    public List<String> migrate(BackupTarget db, String application, String version, StepLog log) {
        WorkerResult r = run(db, artifact(db, application, version), true, log);
        String failed = r.json().path("failed").asText("");
        if (!r.ok() && !failed.isEmpty()) {
            throw new MigrationFailedException(failed, names(r.json().path("applied")), r.error());
        }
        return names(ok(r, db, application, version).path("applied"));
    }

    /** Runs workers/db-migrate.sh for the database on its host; {@code apply=false} only plans. */
    private WorkerResult run(BackupTarget db, String artifact, boolean apply, StepLog log) {
        if (!db.isDatabase()) {
            throw new IllegalArgumentException(db.name() + " is not a database");
        }
        String what = "db-migrate.sh" + (apply ? "" : " --plan") + " of " + artifact + " on " + db.source();
        return hosts.onHost(db, what, log, s -> {
            List<String> args = new ArrayList<>(List.of("--kind", db.kind(), "--database", db.database().database(),
                    "--artifact", artifact));
            args.addAll(DatabaseArgs.connection(db.database(), s.credentialsFile(db.database())));
            if (!apply) {
                args.add("--plan");
            }
            return s.worker("db-migrate.sh", args, hosts.properties().getStepTimeout());
        });
    }

    /** The worker's JSON, or an exception naming the host, the release and the database. */
    private JsonNode ok(WorkerResult r, BackupTarget db, String application, String version) {
        if (!r.ok()) {
            throw new IllegalStateException(hosts.targets().hostOf(db).name() + ": db-migrate.sh for " + application
                    + " " + version + " on " + db.source() + " failed: "
                    + (r.error() != null ? r.error() : "exit " + r.exitCode()));
        }
        return r.json();
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
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
