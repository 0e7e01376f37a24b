package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.migrate.MigrationDatabases;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Lists the release's pending migrations: the evidence for the approver and the work of the run. */
@Component("migrationPlan")
public class MigrationPlanDelegate extends RunbookStep {
    private final MigrationOperations ops;
    private final BackupTargets targets;

    public MigrationPlanDelegate(MigrationOperations ops, BackupTargets targets, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        String env = Vars.str(ex, "environment");
        BackupTarget db = MigrationDatabases.of(targets, env, Vars.str(ex, "application"));
        MigrationOperations.Plan plan = ops.plan(db, Vars.str(ex, "application"), Vars.str(ex, "version"), log);
        ex.setVariable("migrationDatabase", db.name());
        ex.setVariable("lockName", LockNames.database(env, db.name()));
        ex.setVariable("appliedBefore", Vars.json(plan.applied()));
        ex.setVariable("pendingMigrations", Vars.json(plan.pending()));
        ex.setVariable("hasPendingMigrations", !plan.pending().isEmpty());
        ex.setVariable("migrationList", plan.pending().isEmpty() ? "(none: the database is up to date)"
                : String.join("\n", plan.pending()));
    }
}
