package io.opsflow.database.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Reminder while an approval (restore, migrate-database) waits: counts reminders and logs who is waited for. */
@Component("backupApprovalReminder")
public class BackupApprovalReminderDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(BackupApprovalReminderDelegate.class);

    @Override
    public void execute(DelegateExecution ex) {
        Object n = ex.getVariable("remindersSent");
        int sent = (n instanceof Number num ? num.intValue() : 0) + 1;
        ex.setVariable("remindersSent", sent);
        LOG.warn("approval of run {} ({} in {}) waits for group {}: reminder {}", ex.getProcessInstanceId(),
                ex.getProcessDefinitionId(), ex.getVariable("environment"), ex.getVariable("approverGroup"), sent);
    }
}
