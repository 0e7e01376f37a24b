package io.opsflow.platform.approval;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * Four-eyes rule on approval tasks ({@code Task_Approve}), enforced by the engine for every path (Tasklist, REST,
 * Java API, admin users included): the user who started the run can never be assigned, claim or complete its
 * approval. On create, the initiator also gets a REVOKE authorization on the task so Tasklist and REST refuse to
 * let them work on it before any listener runs.
 */
public class FourEyesGuard implements TaskListener {
    public static final String APPROVAL_TASK_ID = "Task_Approve";

    @Override
    public void notify(DelegateTask task) {
        String initiator = (String) task.getVariable("initiator");
        if (initiator == null) {
            return;
        }
        switch (task.getEventName()) {
            case EVENTNAME_CREATE -> revokeFor(initiator, task.getId());
            case EVENTNAME_ASSIGNMENT -> {
                if (Objects.equals(task.getAssignee(), initiator)) {
                    throw new FourEyesViolationException("Four-eyes rule: " + initiator
                            + " started this run and cannot be assigned its approval. Another approver must"
                            + " take it.");
                }
            }
            case EVENTNAME_COMPLETE -> {
                String current = currentUser();
                if (Objects.equals(current, initiator) || Objects.equals(task.getAssignee(), initiator)) {
                    throw new FourEyesViolationException("Four-eyes rule: " + initiator
                            + " started this run and cannot approve it. Another approver must complete the task.");
                }
                task.setVariable("approvedBy", current != null ? current : task.getAssignee());
            }
            default -> {
            }
        }
    }

    private static String currentUser() {
        CommandContext ctx = Context.getCommandContext();
        if (ctx == null || ctx.getAuthentication() == null) {
            return null;
        }
        return ctx.getAuthentication().getUserId();
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
