package io.opsflow.certificates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Reminder (non-interrupting timer on Task_Approve) for a forced re-issue waiting for its approver group. */
@Component("certificatesRemindApprovers")
class CertificatesRemindApproversDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(CertificatesRemindApproversDelegate.class);

    @Override
    public void execute(DelegateExecution execution) {
        int reminders = execution.getVariable("remindersSent") instanceof Number n ? n.intValue() : 0;
        execution.setVariable("remindersSent", reminders + 1);
        LOG.warn("forced certificate re-issue on {} (run {}) still waits for an approver of group {}; reminder {}",
                execution.getVariable("environment"), execution.getProcessInstanceId(),
                execution.getVariable("approverGroup"), reminders + 1);
    }
}
