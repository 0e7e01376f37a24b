package io.opsflow.platform.approval;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.AuthorizationException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.authorization.MissingAuthorization;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.delegate.DelegateTask;
import org.camunda.bpm.engine.delegate.TaskListener;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.persistence.entity.AuthorizationEntity;
import org.camunda.bpm.engine.impl.persistence.entity.TaskEntity;
import org.camunda.bpm.engine.task.IdentityLink;

/**
 * The approval task's guard ({@code Task_Approve}), enforced by the engine for every path (Tasklist, REST, Java API,
 * admin users included):
 * <ul>
 * <li><b>create</b>: records the approval in {@link ApprovalRecords} (the run's inputs and evidence as one canonical
 * document and its SHA-256, the initiator from the run record, the eligible group from the environment), shows the
 * requester to the form ({@code requestedBy}, task-local, from the record), and gives the initiator a REVOKE
 * authorization on the task so Tasklist and REST refuse to let them work on it;</li>
 * <li><b>assignment</b>: the initiator can never be assigned;</li>
 * <li><b>complete</b>: only an authenticated member of the eligible group other than the initiator decides; the
 * document must be exactly the recorded one (any change: 400 naming the variables, nothing changes); the decision,
 * the approver, the time and the comment are recorded.</li>
 * </ul>
 * Which variables a completion may pass at all is checked before they are applied, by {@link ApprovalCommandChecker}.
 */
public class FourEyesGuard implements TaskListener {
    public static final String APPROVAL_TASK_ID = Approvals.APPROVAL_TASK_ID;
    private final Supplier<Approvals> approvals;

    public FourEyesGuard(Supplier<Approvals> approvals) {
        this.approvals = approvals;
    }

    @Override
    public void notify(DelegateTask task) {
        Approvals rules = approvals.get();
        TaskEntity entity = (TaskEntity) task;
        String processKey = entity.getProcessInstance().getProcessDefinition().getKey();
        String pi = task.getProcessInstanceId();
        String initiator = rules.records().run(pi).map(ApprovalRecords.Run::initiator)
                .orElseGet(() -> (String) task.getVariable(Approvals.INITIATOR));
        switch (task.getEventName()) {
            case EVENTNAME_CREATE -> {
                ApprovalDocument doc = rules.document(processKey, task.getVariables());
                var env = rules.environment(task.getVariables());
                String group = env != null ? env.approverGroup() : (String) task.getVariable("approverGroup");
                rules.records().insertApproval(new ApprovalRecords.Approval(task.getId(), pi, processKey, doc.json(),
                        doc.sha256(), initiator == null ? SystemPrincipal.SYSTEM : initiator, group, Approvals.now(),
                        ApprovalRecords.PENDING, null, null, null));
                task.setVariableLocal("requestedBy", initiator);
                if (initiator != null) {
                    revokeFor(initiator, task.getId());
                }
            }
            case EVENTNAME_ASSIGNMENT -> {
                if (initiator != null && Objects.equals(task.getAssignee(), initiator)) {
                    throw new FourEyesViolationException("Four-eyes rule: " + initiator
                            + " started this run and cannot be assigned its approval. Another approver must"
                            + " take it.");
                }
            }
            case EVENTNAME_COMPLETE -> complete(rules, task, processKey, pi, initiator);
            default -> {
            }
        }
    }

    private void complete(Approvals rules, DelegateTask task, String processKey, String pi, String initiator) {
        String current = Approvals.currentUser();
        if (initiator != null && (Objects.equals(current, initiator) || Objects.equals(task.getAssignee(), initiator))) {
            rules.refuse(pi, "approval-complete", "four-eyes: " + current + " started this run");
            throw new FourEyesViolationException("Four-eyes rule: " + initiator
                    + " started this run and cannot approve it. Another approver must complete the task.");
        }
        ApprovalRecords.Approval record = rules.records().approvalForTask(task.getId()).orElse(null);
        if (record == null || !ApprovalRecords.PENDING.equals(record.decision())) {
            String m = "Approval task " + task.getId() + " has no pending approval record; it cannot be decided.";
            rules.refuse(pi, "approval-complete", m);
            throw new RunPathForbiddenException(m);
        }
        if (current == null) {
            String m = "An approval is decided by an authenticated approver; this completion has no user.";
            rules.refuse(pi, "approval-complete", m);
            throw new RunPathForbiddenException(m);
        }
        if (!Approvals.inGroup(current, record.eligibleGroup())) {
            String m = current + " is not in the approver group '" + record.eligibleGroup()
                    + "' of this run and cannot decide its approval.";
            rules.refuse(pi, "approval-complete", m);
            throw new RunPathForbiddenException(m);
        }
        ApprovalDocument now = rules.document(processKey, task.getVariables());
        if (!now.sha256().equals(record.sha256())) {
            List<String> changed = ApprovalDocument.parse(record.document()).differences(now);
            String m = "The approval would change what was put in front of the approvers: " + String.join(", ",
                    changed) + ". An approval decides; it does not edit the run (start a new run instead).";
            rules.refuse(pi, "approval-complete", m);
            throw new ApprovalRefusedException(m, changed);
        }
        boolean approved = Boolean.TRUE.equals(task.getVariable("approved"));
        Object comment = task.getVariable("comment");
        rules.records().decide(task.getId(), approved ? ApprovalRecords.APPROVED : ApprovalRecords.REJECTED, current,
                comment == null ? null : comment.toString(), Approvals.now());
        task.setVariable("approvedBy", current);
    }

    private static void revokeFor(String user, String taskId) {
        CommandContext ctx = Context.getCommandContext();
        if (ctx == null || !ctx.getProcessEngineConfiguration().isAuthorizationEnabled()) {
            return;
        }
        ctx.runWithoutAuthorization(() -> {
            AuthorizationEntity a = new AuthorizationEntity(Authorization.AUTH_TYPE_REVOKE);
            a.setUserId(user);
            a.setResource(Resources.TASK);
            a.setResourceId(taskId);
            a.removePermission(Permissions.UPDATE);
            a.removePermission(Permissions.TASK_WORK);
            a.removePermission(Permissions.TASK_ASSIGN);
            ctx.getAuthorizationManager().insert(a);
            return null;
        });
    }

    /**
     * The REVOKE authorization makes the engine refuse the initiator with a generic "does not have … permission"
     * message. When {@code denied} is that refusal (a missing permission on an approval task whose run the user
     * started, the user being one of its candidate approvers), this says why in the four-eyes rule's words;
     * otherwise (not an approver at all, another task) empty, and Camunda's own message stands.
     */
    public static Optional<String> explain(ProcessEngine engine, AuthorizationException denied) {
        if (engine == null || denied.getUserId() == null) {
            return Optional.empty();
        }
        String user = denied.getUserId();
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration();
        for (MissingAuthorization missing : denied.getMissingAuthorizations()) {
            if (!Resources.TASK.resourceName().equals(missing.getResourceType()) || missing.getResourceId() == null) {
                continue;
            }
            boolean ownApprovalAsApprover = cfg.getCommandExecutorTxRequired().execute(ctx ->
                    ctx.runWithoutAuthorization(() -> {
                        TaskEntity task = ctx.getTaskManager().findTaskById(missing.getResourceId());
                        if (task == null || !APPROVAL_TASK_ID.equals(task.getTaskDefinitionKey())
                                || !user.equals(task.getVariable("initiator"))) {
                            return false;
                        }
                        // only an approver is refused by the four-eyes rule; anyone else simply may not approve
                        Set<String> candidates = task.getCandidates().stream().map(IdentityLink::getGroupId)
                                .filter(Objects::nonNull).collect(Collectors.toSet());
                        return cfg.getIdentityService().createGroupQuery().groupMember(user).list().stream()
                                .anyMatch(g -> candidates.contains(g.getId()));
                    }));
            if (ownApprovalAsApprover) {
                return Optional.of("Four-eyes rule: " + user + " started this run and cannot claim, be assigned or "
                        + "complete its approval (task " + missing.getResourceId() + "). Another approver must.");
            }
        }
        return Optional.empty();
    }

    /** Refusal of a four-eyes violation; REST maps it to 403. */
    public static class FourEyesViolationException extends ProcessEngineException {
        public FourEyesViolationException(String message) {
            super(message);
        }
    }
}
