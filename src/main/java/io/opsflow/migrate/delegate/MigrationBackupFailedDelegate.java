package io.opsflow.migrate.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/** No fresh backup, no migration: says why (the backup was skipped or failed, or a backup started meanwhile). */
@Component("migrationBackupFailed")
public class MigrationBackupFailedDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        String outcome = Vars.opt(ex, "backupOutcome");
        String why;
        if ("SUCCEEDED".equals(outcome)) {
            why = "a backup of " + ex.getVariable("migrationDatabase") + " started after the pre-migration backup ("
                    + "lock " + ex.getVariable("lockName") + " is held by run " + ex.getVariable("lockHolder")
                    + "); start the migration again when it is done";
        } else {
            String detail = Vars.opt(ex, "backupSkipReason") != null ? Vars.opt(ex, "backupSkipReason")
                    : Vars.opt(ex, "backupFailureReason");
            why = "the pre-migration backup ended " + outcome + (detail == null ? "" : ": " + detail);
        }
        ex.setVariable("failureReason", why + "; nothing was migrated");
    }
}
