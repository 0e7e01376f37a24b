package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Approval reminder (non-interrupting timer on Task_Approve): counts {@code remindersSent} and logs for the group. */
@Component("restartRemindApprovers")
class RestartRemindApproversDelegate implements JavaDelegate {
    private static final Logger LOG = LoggerFactory.getLogger(RestartRemindApproversDelegate.class);

    @Override
    public void execute(DelegateExecution execution) {
        Object sent = execution.getVariable("remindersSent");
        int n = sent instanceof Number num ? num.intValue() + 1 : 1;
        execution.setVariable("remindersSent", n);
        LOG.warn("approval reminder #{}: restart-platform run {} ({}, mode {}) waits for group {}", n,
                execution.getProcessInstanceId(), execution.getVariable("environment"),
                execution.getVariable("mode"), execution.getVariable("approverGroup"));
    }
}
