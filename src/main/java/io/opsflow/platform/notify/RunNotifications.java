package io.opsflow.platform.notify;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.DelegateTask;
import org.camunda.bpm.engine.delegate.VariableScope;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.persistence.entity.TaskEntity;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.task.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what happens in a run into {@link Notification}s, inside the run's transaction, from the run's own variables
 * (the environment, the initiator, the approver group, the approval form's fields) and hands them to the
 * {@link Notifier}, which sends them after the commit. Nothing here ever throws into the engine: a notification that
 * cannot be composed is logged and skipped. Where to send is configuration only; no variable is read for it.
 */
public class RunNotifications {
    private static final Logger LOG = LoggerFactory.getLogger(RunNotifications.class);
    /** The approval user task of every runbook with an approval. */
    public static final String APPROVAL_TASK_ID = "Task_Approve";
    static final int MAX_FIELD = 1500;

    private final Supplier<Notifier> notifier;
    private final FormEvidence forms = new FormEvidence();

    public RunNotifications(Supplier<Notifier> notifier) {
        this.notifier = notifier;
    }

    // ----------------------------------------------------------------------------------------------- approvals

    /** {@code Task_Approve} created: to the approver group, with the Tasklist link and the form's evidence. */
    public void approvalNeeded(DelegateTask task) {
        guarded("approval-needed", task.getProcessInstanceId(), () -> {
            TaskEntity t = (TaskEntity) task;
            ExecutionEntity run = t.getProcessInstance();
            List<String> lines = new ArrayList<>();
            lines.add(intro(run, t) + " waits for approval by group '" + task.getVariable("approverGroup") + "'.");
            Object deadline = task.getVariable("approvalDeadline");
            if (deadline != null) {
                lines.add("Deadline: " + deadline + " (then the run ends without changing anything).");
            }
            lines.add("");
            lines.add("What the approval form shows:");
            lines.addAll(forms.lines(t));
            publish(NotificationEvent.APPROVAL_NEEDED, run, task, lines, taskLink(task.getId()), Map.of(
                    "task", task.getId()));
        });
    }

    /** {@code Task_Approve} completed without {@code approved=true}: to the initiator. */
    public void approvalDecided(DelegateTask task) {
        if (Boolean.TRUE.equals(task.getVariable("approved"))) {
            return;
        }
        guarded("approval-rejected", task.getProcessInstanceId(), () -> {
            TaskEntity t = (TaskEntity) task;
            ExecutionEntity run = t.getProcessInstance();
            Object by = task.getVariable("approvedBy");
            Object comment = task.getVariable("comment");
            List<String> lines = List.of(intro(run, t) + " was rejected by " + (by == null ? "an approver" : by)
                    + (comment == null ? "." : ": " + cut(comment.toString())), "Nothing was changed.");
            publish(NotificationEvent.APPROVAL_REJECTED, run, task, lines, runLink(run.getId(), true),
                    by == null ? Map.of() : Map.of("rejectedBy", by.toString()));
        });
    }

    /** The approval block's reminder ({@code ${remindApprovers}}): to the approver group again. */
    public void reminder(DelegateExecution execution) {
        guarded("approval-reminder", execution.getProcessInstanceId(), () -> {
            ExecutionEntity run = ((ExecutionEntity) execution).getProcessInstance();
            Task task = approvalTask(execution);
            List<String> lines = new ArrayList<>();
            lines.add("Reminder #" + execution.getVariable("remindersSent") + ": " + intro(run, null)
                    + " still waits for approval by group '" + execution.getVariable("approverGroup") + "'.");
            Object deadline = execution.getVariable("approvalDeadline");
            if (deadline != null) {
                lines.add("Deadline: " + deadline + ".");
            }
            publish(NotificationEvent.APPROVAL_REMINDER, run, execution, lines,
                    task == null ? runLink(run.getId(), true) : taskLink(task.getId()),
                    task == null ? Map.of() : Map.of("task", task.getId()));
        });
    }

    /** The approval block's deadline ({@code ${recordApprovalExpired}}): to the initiator. */
    public void expired(DelegateExecution execution) {
        guarded("approval-expired", execution.getProcessInstanceId(), () -> {
            ExecutionEntity run = ((ExecutionEntity) execution).getProcessInstance();
            publish(NotificationEvent.APPROVAL_EXPIRED, run, execution, List.of(intro(run, null)
                    + " was not approved before its deadline (" + execution.getVariable("approvalDeadline")
                    + ").", "The run ended without changing anything; start a new run to try again."),
                    runLink(run.getId(), true), Map.of());
        });
    }

    // ------------------------------------------------------------------------------------------- runs and incidents

    /** The end of a run (not of a call activity's run): {@code outcome} SUCCEEDED, ROLLED_BACK or FAILED. */
    public void ended(DelegateExecution execution) {
        ExecutionEntity e = (ExecutionEntity) execution;
        if (!execution.getId().equals(execution.getProcessInstanceId()) || e.getSuperExecution() != null) {
            return;
        }
        Object outcome = execution.getVariable("outcome");
        NotificationEvent event = "SUCCEEDED".equals(outcome) ? NotificationEvent.SUCCEEDED
                : "ROLLED_BACK".equals(outcome) ? NotificationEvent.ROLLED_BACK
                : "FAILED".equals(outcome) ? NotificationEvent.RUN_FAILED : null;
        if (event == null) {
            return;
        }
        guarded(event.tag(), execution.getProcessInstanceId(), () -> {
            List<String> lines = new ArrayList<>();
            lines.add(intro(e, null) + " ended " + outcome + ".");
            for (String v : List.of("failureReason", "rollbackReason", "error", "summary")) {
                if (execution.getVariable(v) instanceof String s && !s.isBlank()) {
                    lines.add(v + ": " + cut(s));
                }
            }
            publish(event, e, execution, lines, runLink(e.getId(), true), Map.of("outcome", outcome.toString()));
        });
    }

    /** An incident was raised in a run (a step failed after its retries, or a refused action). */
    public void incident(ExecutionEntity execution, String activityId, String message) {
        if (execution == null) {
            return;
        }
        guarded("incident", execution.getProcessInstanceId(), () -> {
            ExecutionEntity run = execution.getProcessInstance();
            List<String> lines = List.of(intro(run, null) + " raised an incident at " + activityId + ".",
                    "Message: " + cut(message == null ? "(none)" : message),
                    "Fix the cause, then retry the step in Cockpit (or cancel the run).");
            publish(NotificationEvent.INCIDENT, run, run, lines, runLink(run.getId(), false),
                    Map.of("activity", String.valueOf(activityId)));
        });
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private void guarded(String what, String runId, Runnable r) {
        try {
            Notifier n = notifier.get();
            if (n != null && n.enabled()) {
                r.run();
            }
        } catch (RuntimeException e) {
            LOG.warn("notification {} of run {} not composed: {}", what, runId, e.toString());
        }
    }

    private void publish(NotificationEvent event, ExecutionEntity run, VariableScope vars, List<String> lines,
                         String link, Map<String, String> extraFacts) {
        String runbook = run.getProcessDefinition().getKey();
        String env = string(vars, "environment");
        String initiator = string(vars, "initiator");
        String approverGroup = string(vars, "approverGroup");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("runbook", runbook);
        facts.put("run", run.getId());
        putIf(facts, "environment", env);
        putIf(facts, "application", string(vars, "application"));
        putIf(facts, "version", string(vars, "version"));
        putIf(facts, "initiator", initiator);
        if (event.forApprovers()) {
            putIf(facts, "approverGroup", approverGroup);
        }
        facts.putAll(extraFacts);
        String subject = "[opsflow] " + event.title() + ": " + runbook + (env == null ? "" : " in " + env)
                + detail(vars);
        notifier.get().publish(new Notification(event, run.getId(), runbook, env, subject, lines, link, facts,
                approverGroup, initiator, ClockUtil.getCurrentTime().toInstant()));
    }

    private static String detail(VariableScope vars) {
        String app = string(vars, "application");
        String version = string(vars, "version");
        if (app == null) {
            return "";
        }
        return " (" + app + (version == null ? "" : " " + version) + ")";
    }

    private static String intro(ExecutionEntity run, TaskEntity task) {
        VariableScope vars = task != null ? task : run;
        String env = string(vars, "environment");
        String initiator = string(vars, "initiator");
        return "Run " + run.getId() + " of " + run.getProcessDefinition().getKey() + (env == null ? "" : " in " + env)
                + detail(vars) + (initiator == null ? "" : ", started by " + initiator + ",");
    }

    private static void putIf(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static String string(VariableScope vars, String name) {
        Object v = vars.getVariable(name);
        return v == null ? null : v.toString();
    }

    static String cut(String s) {
        return s.length() <= MAX_FIELD ? s : s.substring(0, MAX_FIELD) + " … (cut; the whole text is in the run)";
    }

    private Task approvalTask(DelegateExecution execution) {
        List<Task> tasks = execution.getProcessEngineServices().getTaskService().createTaskQuery()
                .processInstanceId(execution.getProcessInstanceId()).taskDefinitionKey(APPROVAL_TASK_ID).list();
        return tasks.isEmpty() ? null : tasks.get(0);
    }

    private String taskLink(String taskId) {
        return notifier.get().publicBaseUrl() + "/camunda/app/tasklist/default/#/?task=" + taskId;
    }

    private String runLink(String runId, boolean ended) {
        String base = notifier.get().publicBaseUrl();
        return ended ? base + "/api/runs/" + runId + "/logs"
                : base + "/camunda/app/cockpit/default/#/process-instance/" + runId + "/runtime";
    }

    static Instant now() {
        return ClockUtil.getCurrentTime().toInstant();
    }
}
