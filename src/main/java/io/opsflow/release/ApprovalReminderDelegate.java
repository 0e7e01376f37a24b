package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.REMINDERS_SENT;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Reminder of a pending approval (non-interrupting timer on Task_Approve): counts reminders in {@code remindersSent}
 * and logs a line an alerting pipeline can pick up. The approval stays open.
 */
@Component("releaseApprovalReminder")
class ApprovalReminderDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(ApprovalReminderDelegate.class);

    @Override
    public void execute(DelegateExecution execution) {
        Object sent = execution.getVariable(REMINDERS_SENT);
        int n = (sent instanceof Number num ? num.intValue() : 0) + 1;
        execution.setVariable(REMINDERS_SENT, n);
        execution.setVariable("lastReminderAt", java.time.Instant.ofEpochMilli(
                org.camunda.bpm.engine.impl.util.ClockUtil.getCurrentTime().getTime()).toString());
        LOG.warn("APPROVAL REMINDER #{}: run {} ({} {} {} to {}) waits for approval by group '{}' (deadline {})", n,
                execution.getProcessInstanceId(), execution.getProcessDefinitionId(),
                execution.getVariable("application"), execution.getVariable("version"),
                execution.getVariable("environment"), execution.getVariable("approverGroup"),
                execution.getVariable("approvalDeadline"));
    }
}
