package io.opsflow.platform.approval;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.camunda.bpm.engine.impl.cfg.CommandChecker;
import org.camunda.bpm.engine.impl.cmd.CompleteTaskCmd;
import org.camunda.bpm.engine.impl.cmd.HandleTaskBpmnErrorCmd;
import org.camunda.bpm.engine.impl.cmd.HandleTaskEscalationCmd;
import org.camunda.bpm.engine.impl.cmd.ModifyProcessInstanceCmd;
import org.camunda.bpm.engine.impl.cmd.SubmitTaskFormCmd;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.Command;
import org.camunda.bpm.engine.impl.interceptor.CommandInvocationContext;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.persistence.entity.TaskEntity;

/**
 * A Camunda {@link CommandChecker} (the hook the engine calls in every command before it changes anything, next to
 * its own authorization checks) that guards the approval task and a run's tokens on every API:
 * <ul>
 * <li>completing an approval task ({@code complete}, {@code resolve}, {@code submit-form}) may pass only
 * {@link Approvals#FORM_FIELDS}; anything else is refused with 400 naming the variables, before they are
 * applied;</li>
 * <li>setting or removing variables on an approval task, and throwing a BPMN error or escalation from it, are
 * refused;</li>
 * <li>a modification of a run's tokens is refused for non-administrators.</li>
 * </ul>
 * The other checks of the interface do nothing. The variables of a completion are read from the command
 * ({@code CompleteTaskCmd.variables}, {@code SubmitTaskFormCmd.properties}): the one place where opsflow reads a
 * Camunda internal field; {@code ReleaseApprovalIntegrityProcessTest} fails if a Camunda upgrade moves it.
 */
public final class ApprovalCommandChecker {
    private ApprovalCommandChecker() {
    }

    public static CommandChecker create(Supplier<Approvals> approvals) {
        InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "checkTaskWork" -> checkTaskWork(approvals.get(), (TaskEntity) args[0]);
                case "checkUpdateTaskVariable" -> checkTaskVariables(approvals.get(), (TaskEntity) args[0]);
                case "checkUpdateProcessInstance" -> checkModification(approvals.get(), (ExecutionEntity) args[0]);
                case "toString" -> {
                    return "opsflow approval checker";
                }
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                default -> {
                }
            }
            return null;
        };
        return (CommandChecker) Proxy.newProxyInstance(ApprovalCommandChecker.class.getClassLoader(),
                new Class<?>[] {CommandChecker.class}, handler);
    }

    static boolean isApproval(TaskEntity task) {
        return task != null && Approvals.APPROVAL_TASK_ID.equals(task.getTaskDefinitionKey())
                && task.getProcessInstanceId() != null;
    }

    private static Command<?> command() {
        CommandInvocationContext ctx = Context.getCommandInvocationContext();
        return ctx == null ? null : ctx.getCommand();
    }

    static void checkTaskWork(Approvals rules, TaskEntity task) {
        if (!isApproval(task)) {
            return;
        }
        Command<?> cmd = command();
        if (cmd instanceof HandleTaskBpmnErrorCmd || cmd instanceof HandleTaskEscalationCmd) {
            String m = "An approval is decided by completing its task with approved/comment, not by a BPMN error or "
                    + "escalation.";
            rules.refuse(task.getProcessInstanceId(), "approval-error", m);
            throw new RunPathForbiddenException(m);
        }
        Map<String, Object> passed = null;
        if (cmd instanceof CompleteTaskCmd) {
            passed = read(cmd, CompleteTaskCmd.class, "variables");
        } else if (cmd instanceof SubmitTaskFormCmd) {
            passed = read(cmd, SubmitTaskFormCmd.class, "properties");
        }
        if (passed == null) {
            return;
        }
        TreeSet<String> extra = new TreeSet<>(passed.keySet());
        extra.removeAll(Approvals.FORM_FIELDS);
        if (!extra.isEmpty()) {
            String m = "An approval may pass only " + new TreeSet<>(Approvals.FORM_FIELDS) + "; refused: "
                    + String.join(", ", extra) + ". An approval decides on the run as it is; it does not edit it.";
            rules.refuse(task.getProcessInstanceId(), "approval-complete", m);
            throw new ApprovalRefusedException(m, List.copyOf(extra));
        }
    }

    static void checkTaskVariables(Approvals rules, TaskEntity task) {
        if (!isApproval(task)) {
            return;
        }
        String m = "Variables of an approval task cannot be set or removed; complete it with approved/comment.";
        rules.refuse(task.getProcessInstanceId(), "approval-variables", m);
        throw new ApprovalRefusedException(m, List.of());
    }

    static void checkModification(Approvals rules, ExecutionEntity instance) {
        if (!(command() instanceof ModifyProcessInstanceCmd) || Approvals.isAdmin()
                || Approvals.currentUser() == null) {
            return;
        }
        String m = "Only an administrator may modify a run's tokens (start, cancel or move activities); opsflow runs "
                + "move through their diagram, past their approval only with one.";
        rules.refuse(instance.getProcessInstanceId(), "modification", m);
        throw new RunPathForbiddenException(m);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Object cmd, Class<?> owner, String field) {
        try {
            Field f = owner.getDeclaredField(field);
            f.setAccessible(true);
            return (Map<String, Object>) f.get(cmd);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Camunda changed " + owner.getName() + "." + field
                    + ": opsflow cannot see the variables of an approval completion and refuses it", e);
        }
    }
}
