package io.opsflow.migrate;

import java.util.List;

import io.opsflow.database.BackupTarget;
import io.opsflow.step.exec.StepLog;

/**
 * What a migration does (port of migrate-database; the real implementation runs workers/db-migrate.sh on the
 * database's host over SSH, process tests mock it). Migrations are the {@code migrations/NNN_name.sql} files of the
 * application's release artifact (each release carries its own and all earlier ones), applied in name order and
 * recorded in the table {@code opsflow_schema_history} of the migrated database.
 */
public interface MigrationOperations {

    /** The release's migrations, those the database has applied, and those pending (in order). */
    Plan plan(BackupTarget database, String application, String version, StepLog log);

    /**
     * Applies the pending migrations in order, each file in its own transaction where the database allows it
     * (PostgreSQL; MariaDB commits DDL implicitly). Returns the migrations applied.
     *
     * @throws MigrationFailedException when a migration fails (modelled: the run restores the pre-migration backup)
     */
    List<String> migrate(BackupTarget database, String application, String version, StepLog log);

    record Plan(List<String> all, List<String> applied, List<String> pending) {
    }
}
