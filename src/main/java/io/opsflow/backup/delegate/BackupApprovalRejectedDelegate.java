package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.backup.Vars;

/** Sets {@code rejectionReason} of a rejected approval (the approver's comment) unless the deadline set it. */
@Component("backupApprovalRejected")
public class BackupApprovalRejectedDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        reason(ex);
    }

    static void reason(DelegateExecution ex) {
        if (Vars.opt(ex, "rejectionReason") != null) {
            return;
        }
        String by = Vars.opt(ex, "approvedBy");
        String comment = Vars.opt(ex, "comment");
        ex.setVariable("rejectionReason", "rejected" + (by == null ? "" : " by " + by)
                + (comment == null ? "" : ": " + comment));
    }
}
