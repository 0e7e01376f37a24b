package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.migrate.MigrationFailedException;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Runs the pending migrations; a failing one is MIGRATION_FAILED (the run restores the pre-migration backup). */
@Component("migrationRun")
public class MigrationRunDelegate implements JavaDelegate {
    public static final String MIGRATION_FAILED = "MIGRATION_FAILED";
    private final MigrationOperations ops;
    private final StepLogs logs;
    private final BackupTargets targets;

    public MigrationRunDelegate(MigrationOperations ops, BackupTargets targets, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            var db = targets.get(Vars.str(ex, "environment"), Vars.str(ex, "migrationDatabase"));
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
}
