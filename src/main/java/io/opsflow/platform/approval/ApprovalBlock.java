package io.opsflow.platform.approval;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.opsflow.platform.notify.RunNotifications;
import io.opsflow.platform.runbook.RunVariables;

/**
 * The approval block every runbook with a {@code Task_Approve} draws the same way: a non-interrupting reminder timer
 * ({@code ${remindApprovers}}), a deadline ({@code ${recordApprovalExpired}}) and the rejection
 * ({@code ${recordApprovalRejected}}). Each is usable as a service task or as an execution listener, so a diagram can record
 * the outcome on the end event or in a task of its own (restore removes what it staged, for instance).
 * Variables: {@code remindersSent}, {@code lastReminderAt}; {@code rejectionReason} "rejected by &lt;approver&gt;:
 * &lt;comment&gt;" (the approver as recorded by the four-eyes guard) or "approval deadline passed". The reminder and
 * the deadline are also notified ({@code platform.notify}: approval-reminder, approval-expired); the request and the
 * rejection are notified from {@code Task_Approve} itself, so a diagram that draws its own rejection is covered too.
 */
public final class ApprovalBlock {
    private static final Logger LOG = LoggerFactory.getLogger(ApprovalBlock.class);

    private ApprovalBlock() {
    }

    /** A part of the block: a service task or, the same code, an execution listener. */
    abstract static class BlockStep implements JavaDelegate, ExecutionListener {
        /** Notifications of the block's events (none when not wired, as in process tests that do not ask). */
        RunNotifications notifications;

        @Autowired(required = false)
        public void setNotifications(RunNotifications notifications) {
            this.notifications = notifications;
        }

        @Override
        public abstract void execute(DelegateExecution execution);

        @Override
        public void notify(DelegateExecution execution) {
            execute(execution);
        }
    }

    /** Reminder of a waiting approval: counts it and logs a line an alerting pipeline can pick up. */
    @Component("remindApprovers")
    public static class Reminder extends BlockStep {
        @Override
        public void execute(DelegateExecution execution) {
            RunVariables v = RunVariables.of(execution);
            int n = (execution.getVariable("remindersSent") instanceof Number num ? num.intValue() : 0) + 1;
            v.set("remindersSent", n);
            v.set("lastReminderAt", RunVariables.now().toString());
            LOG.warn("APPROVAL REMINDER #{}: run {} ({} in {}) waits for approval by group '{}' (deadline {})", n,
                    execution.getProcessInstanceId(), execution.getProcessDefinitionId(),
                    execution.getVariable("environment"), execution.getVariable("approverGroup"),
                    execution.getVariable("approvalDeadline"));
            if (notifications != null) {
                notifications.reminder(execution);
            }
        }
    }

    /** The approval deadline passed: the run ends without changing anything. */
    @Component("recordApprovalExpired")
    public static class Expired extends BlockStep {
        @Override
        public void execute(DelegateExecution execution) {
            execution.setVariable("approved", false);
            execution.setVariable("rejectionReason", "approval deadline passed");
            if (notifications != null) {
                notifications.expired(execution);
            }
        }
    }

    /** An approver rejected the run: the reason names them and carries their comment (unless the deadline set it). */
    @Component("recordApprovalRejected")
    public static class Rejected extends BlockStep {
        @Override
        public void execute(DelegateExecution execution) {
            recordRejection(execution);
        }
    }

    /** Sets {@code rejectionReason} from the approver and their comment unless the deadline already set it. */
    public static void recordRejection(DelegateExecution execution) {
        RunVariables v = RunVariables.of(execution);
        if (v.optional("rejectionReason") == null) {
            v.set("rejectionReason", rejectionReason(v.optional("approvedBy"), v.optional("comment")));
        }
    }

    static String rejectionReason(String approver, String comment) {
        return "rejected by " + (approver == null ? "the approver" : approver)
                + (comment == null ? "" : ": " + comment.strip());
    }
}
