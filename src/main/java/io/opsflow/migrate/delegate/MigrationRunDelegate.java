package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.migrate.MigrationFailedException;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Runs the pending migrations; a failing one is MIGRATION_FAILED (the run restores the pre-migration backup). */
@Component("migrationRun")
public class MigrationRunDelegate extends MigrationStep {
    public static final String MIGRATION_FAILED = "MIGRATION_FAILED";

    public MigrationRunDelegate(MigrationOperations ops, BackupTargets targets, StepLogs logs) {
        super(ops, targets, logs);
    }

    @Override
    void run(DelegateExecution ex, BackupTarget db, StepLog log) {
        try {
            ex.setVariable("appliedMigrations", Vars.json(ops.migrate(db, Vars.str(ex, "application"),
                    Vars.str(ex, "version"), log)));
        } catch (MigrationFailedException e) {
            ex.setVariable("appliedMigrations", Vars.json(e.applied()));
            ex.setVariable("failedMigration", e.failed());
            ex.setVariable("failureReason", e.getMessage());
            throw new BpmnError(MIGRATION_FAILED, e.getMessage());
        }
    }
}
