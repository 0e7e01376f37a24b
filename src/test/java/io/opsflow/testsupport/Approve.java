package io.opsflow.testsupport;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;

/**
 * Decides an approval task ({@code Task_Approve}) the way the engine now requires: as an authenticated member of the
 * test environments' approver group ({@value #APPROVERS}), passing only {@code approved} and {@code comment}.
 * <p>
 * The in-memory engines of the *ProcessTest classes have no users or groups, so the group comes from the
 * authentication itself ({@code setAuthentication(user, List.of("approvers"))}). The authentication is cleared
 * afterwards, also when the engine refuses the completion (e.g. the initiator trying to approve their own run).
 * <pre>
 * Approve.as(engine, "bob", task.getId(), true, "go");
 * assertThatThrownBy(() -&gt; Approve.as(engine, "alice", task.getId(), true, null)).hasMessageContaining("Four-eyes");
 * </pre>
 */
public final class Approve {
    /** The approver group of the test environments. */
    public static final String APPROVERS = "approvers";

    private Approve() {
    }

    /**
     * Completes {@code taskId} as {@code user} (authenticated with group {@value #APPROVERS}) with
     * {@code approved} and, when not null, {@code comment}.
     */
    /** Registers the shared approval block beans (reminder, deadline, rejection) for a process test. */
    public static void registerApprovalBlock() {
        org.camunda.bpm.engine.test.mock.Mocks.register("remindApprovers",
                new io.opsflow.platform.approval.ApprovalBlock.Reminder());
        org.camunda.bpm.engine.test.mock.Mocks.register("recordApprovalExpired",
                new io.opsflow.platform.approval.ApprovalBlock.Expired());
        org.camunda.bpm.engine.test.mock.Mocks.register("recordApprovalRejected",
                new io.opsflow.platform.approval.ApprovalBlock.Rejected());
    }

    public static void as(ProcessEngine engine, String user, String taskId, boolean approved, String comment) {
        Map<String, Object> decision = new HashMap<>();
        decision.put("approved", approved);
        if (comment != null) {
            decision.put("comment", comment);
        }
        IdentityService identity = engine.getIdentityService();
        identity.setAuthentication(user, List.of(APPROVERS));
        try {
            engine.getTaskService().complete(taskId, decision);
        } finally {
            identity.clearAuthentication();
        }
    }
}
