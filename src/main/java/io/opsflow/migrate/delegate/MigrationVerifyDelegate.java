package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.migrate.MigrationOperations;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** After the run no migration of the release may be pending (VERIFY_FAILED otherwise). */
@Component("migrationVerify")
public class MigrationVerifyDelegate extends MigrationStep {
    public static final String VERIFY_FAILED = "VERIFY_FAILED";

    public MigrationVerifyDelegate(MigrationOperations ops, BackupTargets targets, StepLogs logs) {
        super(ops, targets, logs);
    }

    @Override
    void run(DelegateExecution ex, BackupTarget db, StepLog log) {
        MigrationOperations.Plan plan = ops.plan(db, Vars.str(ex, "application"), Vars.str(ex, "version"), log);
        if (!plan.pending().isEmpty()) {
            String reason = "after the migration of " + db.name() + " to " + ex.getVariable("version")
                    + " these migrations are still pending: " + plan.pending();
            ex.setVariable("failureReason", reason);
            throw new BpmnError(VERIFY_FAILED, reason);
        }
        ex.setVariable("migrationVerified", true);
    }
}
