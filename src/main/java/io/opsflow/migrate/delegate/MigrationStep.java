package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** A step of migrate-database on the database the plan chose ({@code migrationDatabase}). */
abstract class MigrationStep extends RunbookStep {
    final MigrationOperations ops;
    private final BackupTargets targets;

    MigrationStep(MigrationOperations ops, BackupTargets targets, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    protected final void run(DelegateExecution ex, StepLog log) {
        run(ex, targets.get(Vars.str(ex, "environment"), Vars.str(ex, "migrationDatabase")), log);
    }

    abstract void run(DelegateExecution ex, BackupTarget db, StepLog log);
}
