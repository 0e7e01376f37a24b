package io.opsflow.database.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** The approval deadline passed (restore, migrate-database): the run ends REJECTED with that reason. */
@Component("backupApprovalExpired")
public class BackupApprovalExpiredDelegate implements JavaDelegate {
    @Override
    public void execute(DelegateExecution ex) {
        ex.setVariable("approved", false);
        ex.setVariable("rejectionReason", "approval deadline passed");
    }
}
