package io.opsflow.database.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.Vars;

/**
 * Sets {@code rejectionReason} of a rejected approval (restore, migrate-database: the approver's comment) unless the
 * deadline set it.
 */
@Component("backupApprovalRejected")
public class BackupApprovalRejectedDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        reason(ex);
    }

    /** Used by the restore's rejection step too. */
    public static void reason(DelegateExecution ex) {
        if (Vars.opt(ex, "rejectionReason") != null) {
            return;
        }
        String by = Vars.opt(ex, "approvedBy");
        String comment = Vars.opt(ex, "comment");
        ex.setVariable("rejectionReason", "rejected" + (by == null ? "" : " by " + by)
                + (comment == null ? "" : ": " + comment));
    }
}
