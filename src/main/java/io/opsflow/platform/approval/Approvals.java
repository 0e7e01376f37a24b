package io.opsflow.platform.approval;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.camunda.bpm.engine.ActivityTypes;
import org.camunda.bpm.engine.impl.bpmn.helper.BpmnProperties;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ProcessDefinitionImpl;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.platform.runbook.RunbookRegistry;

/**
 * The approval integrity rules, in one place, for the listeners and the command checker that enforce them inside the
 * engine (so every API path meets them):
 * <ol>
 * <li>a run starts only at a start event (unless an administrator places it), with declared inputs only, and its
 * initiator is the authenticated user or a named {@link SystemPrincipal}, recorded in {@link ApprovalRecords};</li>
 * <li>an approval task records the document it asks about; its completion may pass only {@link #FORM_FIELDS}, must
 * leave the document as it was, and must come from an eligible approver other than the initiator;</li>
 * <li>every step that acts in a run that needs an approval checks the record first ({@link ActionGuard}).</li>
 * </ol>
 */
public final class Approvals {
    private static final Logger LOG = LoggerFactory.getLogger(Approvals.class);
    public static final String APPROVAL_TASK_ID = "Task_Approve";
    /** The only variables an approval completion may pass. */
    public static final Set<String> FORM_FIELDS = Set.of("approved", "comment");
    /** The variable opsflow sets from the run record for Tasklist forms; never an input. */
    public static final String INITIATOR = "initiator";
    /** {@code <camunda:property name="opsflow.approval" value="not-required"/>}: the task may run before approval. */
    public static final String PROPERTY = "opsflow.approval";
    public static final String NOT_REQUIRED = "not-required";

    private static final Set<String> START_EVENT_TYPES = Set.of(ActivityTypes.START_EVENT,
            ActivityTypes.START_EVENT_TIMER, ActivityTypes.START_EVENT_MESSAGE, ActivityTypes.START_EVENT_SIGNAL,
            ActivityTypes.START_EVENT_CONDITIONAL);

    private final Supplier<RunbookRegistry> registry;
    private final Supplier<Environments> environments;
    private final Supplier<ApprovalRecords> records;

    public Approvals(Supplier<RunbookRegistry> registry, Supplier<Environments> environments,
                     Supplier<ApprovalRecords> records) {
        this.registry = registry;
        this.environments = environments;
        this.records = records;
    }

    /** The environments (for the maintenance window rules). */
    public Environments environments() {
        return environments.get();
    }

    public ApprovalRecords records() {
        return records.get();
    }

    Optional<RunbookDefinition> definition(String processKey) {
        return registry.get().find(processKey);
    }

    // ---------------------------------------------------------------------------------------------------- start

    /** Who a run is started by ({@code id}, its initiator) and how ({@code via}: user, webhook, call, timer, …). */
    public record Principal(String id, String via) {
    }

    /** Whether {@code activity} is one of the process's own start events (where a normal start places a run). */
    static boolean isStartEvent(ActivityImpl activity, ProcessDefinitionImpl process) {
        if (activity == null) {
            return false;
        }
        Object type = activity.getProperties().get(BpmnProperties.TYPE);
        return activity.getFlowScope() == process && type != null && START_EVENT_TYPES.contains(type.toString());
    }

    /**
     * Refuses a start that a non-administrator placed somewhere else than a start event: start instructions
     * ({@code startBeforeActivity}, {@code startAfterActivity}, {@code startTransition}) and restarts.
     */
    public void checkStartPlacement(ExecutionEntity instance) {
        ActivityImpl placed = instance.getActivity();
        if (isStartEvent(placed, instance.getProcessDefinition()) || isAdmin()) {
            return;
        }
        String key = instance.getProcessDefinition().getKey();
        String message = "Runs of '" + key + "' start at their start event only: a start placed at "
                + (placed == null ? "a sequence flow" : "'" + placed.getId() + "'")
                + (instance.getRestartedProcessInstanceId() != null ? " (restart of run "
                + instance.getRestartedProcessInstanceId() + ")" : "")
                + " would skip the steps before it, such as the approval. Only an administrator may place a run.";
        refuse(instance.getRestartedProcessInstanceId(), "start-instructions", message);
        throw new RunPathForbiddenException(message);
    }

    /**
     * Who starts this run: a {@link SystemPrincipal} the calling code named (webhook), the calling run's initiator
     * (a call activity), the authenticated user, or the kind of start event (timer, message); else {@code system}.
     */
    public Principal principal(ExecutionEntity instance) {
        String named = SystemPrincipal.current();
        if (named != null) {
            return new Principal(named, "webhook");
        }
        ExecutionEntity caller = instance.getSuperExecution();
        if (caller != null) {
            String parent = records.get().run(caller.getProcessInstanceId()).map(ApprovalRecords.Run::initiator)
                    .orElseGet(() -> (String) caller.getVariable(INITIATOR));
            return new Principal(parent != null ? parent : SystemPrincipal.SYSTEM, "call");
        }
        String user = currentUser();
        if (user != null) {
            return new Principal(user, "user");
        }
        ActivityImpl placed = instance.getActivity();
        Object type = placed == null ? null : placed.getProperties().get(BpmnProperties.TYPE);
        if (ActivityTypes.START_EVENT_TIMER.equals(type)) {
            return new Principal(SystemPrincipal.TIMER, "timer");
        }
        if (ActivityTypes.START_EVENT_MESSAGE.equals(type)) {
            return new Principal(SystemPrincipal.MESSAGE, "message");
        }
        return new Principal(SystemPrincipal.SYSTEM, "system");
    }

    /**
     * Variables a start passed that the runbook does not declare as inputs, as "name: …" messages; {@code initiator}
     * only when it differs from the principal (camunda:initiator sets it; a caller's value would overwrite it).
     */
    public static List<String> undeclared(RunbookDefinition def, Map<String, Object> startVariables, String principal) {
        Set<String> declared = new LinkedHashSet<>();
        def.declaredInputs().stream().map(InputSpec::name).forEach(declared::add);
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, Object> e : startVariables.entrySet()) {
            String name = e.getKey();
            if (declared.contains(name)) {
                continue;
            }
            String retired = def.retiredInputs().get(name);
            if (retired != null) {
                errors.add(name + ": is no longer an input of runbook '" + def.processKey() + "': " + retired);
                continue;
            }
            if (INITIATOR.equals(name)) {
                if (e.getValue() != null && !e.getValue().equals(principal)) {
                    errors.add("initiator: is set by opsflow from the authenticated user, never by the caller");
                }
                continue;
            }
            errors.add(name + ": is not an input of runbook '" + def.processKey() + "' (inputs: "
                    + String.join(", ", declared) + "); variables such as approvals, plans and evidence are set "
                    + "by the run itself");
        }
        return errors;
    }

    /** Whether a run of {@code process} with these variables needs an approval before it acts. */
    public boolean requiresApproval(ProcessDefinitionImpl process, Map<String, Object> vars) {
        if (process.findActivity(APPROVAL_TASK_ID) == null) {
            return false;
        }
        Environment env = environment(vars);
        Optional<RunbookDefinition> def = definition(((org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity) process).getKey());
        if (def.isPresent()) {
            return def.get().requiresApproval(vars, env);
        }
        return env == null || env.requiresApproval();
    }

    Environment environment(Map<String, Object> vars) {
        Object name = vars.get("environment");
        if (name instanceof String n && environments.get().exists(n)) {
            return environments.get().get(n);
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------- document

    /**
     * The approval document of a run of {@code processKey}: its declared inputs and evidence. For a process without
     * a runbook definition: every variable except the approval's own.
     */
    public ApprovalDocument document(String processKey, Map<String, Object> vars) {
        Optional<RunbookDefinition> def = definition(processKey);
        Set<String> names = new LinkedHashSet<>();
        if (def.isPresent()) {
            def.get().declaredInputs().stream().map(InputSpec::name).forEach(names::add);
            names.addAll(def.get().evidence());
        } else {
            names.addAll(vars.keySet());
            names.removeAll(FORM_FIELDS);
            names.remove("approvedBy");
        }
        return ApprovalDocument.of(names, vars);
    }

    // ---------------------------------------------------------------------------------------------- principals

    static String currentUser() {
        CommandContext ctx = Context.getCommandContext();
        Authentication a = ctx == null ? null : ctx.getAuthentication();
        return a == null ? null : a.getUserId();
    }

    static boolean isAdmin() {
        CommandContext ctx = Context.getCommandContext();
        Authentication a = ctx == null ? null : ctx.getAuthentication();
        return a != null && ctx.getAuthorizationManager().isCamundaAdmin(a);
    }

    /** Whether the authenticated user is in {@code group} (the authentication's groups, else the identity store). */
    static boolean inGroup(String user, String group) {
        if (user == null || group == null) {
            return false;
        }
        CommandContext ctx = Context.getCommandContext();
        Authentication a = ctx == null ? null : ctx.getAuthentication();
        if (a != null && user.equals(a.getUserId()) && a.getGroupIds() != null && a.getGroupIds().contains(group)) {
            return true;
        }
        if (ctx == null) {
            return false;
        }
        return ctx.runWithoutAuthorization(() -> ctx.getProcessEngineConfiguration().getIdentityService()
                .createUserQuery().userId(user).memberOfGroup(group).count() > 0);
    }

    /** Logs and records a refusal (in its own transaction: it outlives the refused attempt). */
    void refuse(String processInstanceId, String path, String message) {
        String user = currentUser();
        LOG.warn("REFUSED {} by {} on run {}: {}", path, user == null ? "(no user)" : user, processInstanceId,
                message);
        try {
            records.get().recordRefusal(processInstanceId, user, path, message);
        } catch (RuntimeException e) {
            LOG.warn("could not record the refusal: {}", e.toString());
        }
    }

    static Instant now() {
        return ClockUtil.getCurrentTime().toInstant();
    }
}
