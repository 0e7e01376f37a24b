package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/** Another run is backing up the same target: this one ends SKIPPED and says which run holds the lock. */
@Component("backupSkip")
public class BackupSkipDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        String holder = Vars.opt(ex, "lockHolder");
        ex.setVariable("skipReason", "backup of " + Vars.str(ex, "environment") + "/" + Vars.str(ex, "target")
                + " skipped: lock " + Vars.str(ex, "lockName") + " is held by run "
                + (holder == null ? "(another run)" : holder) + ", which is backing up the same target");
        ex.setVariable("outcome", "SKIPPED");
    }
}
