package io.opsflow.step.terraform;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * Plans the run's Terraform root (a destroy plan when variable {@code terraformDestroy} is true) and writes the
 * summary the approver sees: tfHasChanges, tfAdd, tfChange, tfDestroy, tfResourceChanges (JSON list of
 * {address, actions}), tfPlanSummary (text), tfPlanId ({@code <processInstanceId>/<sha256>}: the plan is stored in the database,
 * {@link TerraformPlans}), tfPlanSha256, tfPlanDestroy. They are local to the task ({@link StepOutputs}): in a plain
 * sequence the approval task after it reads them as before; a diagram whose plan task is a scope maps them with
 * {@code camunda:outputParameter}.
 */
@Component("terraformPlan")
public class TerraformPlanDelegate implements JavaDelegate {
    public static final String VAR_DESTROY = "terraformDestroy";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TerraformStep step;
    private final TerraformExecutionContext context;
    private final StepLogs logs;

    public TerraformPlanDelegate(TerraformStep step, TerraformExecutionContext context, StepLogs logs) {
        this.step = step;
        this.context = context;
        this.logs = logs;
    }

    protected boolean destroy(DelegateExecution execution) {
        Object v = execution.getVariable(VAR_DESTROY);
        return v instanceof Boolean b ? b : v != null && Boolean.parseBoolean(v.toString());
    }

    @Override
    public void execute(DelegateExecution execution) {
        Path root = context.root(execution);
        Map<String, Object> vars = context.vars(execution);
        Path runDir = step.runDir(execution.getProcessInstanceId());
        boolean destroy = destroy(execution);
        StepOutputs out = StepOutputs.of(execution);
        try (StepLog log = logs.forExecution(execution)) {
            try {
                PlanSummary s = destroy ? step.destroyPlan(root, vars, runDir, log) : step.plan(root, vars, runDir, log);
                writeSummary(execution, out, s, destroy);
            } finally {
                context.publishLog(out, log);
            }
        }
    }

    static void writeSummary(DelegateExecution execution, StepOutputs out, PlanSummary s, boolean destroy) {
        out.set("tfHasChanges", s.hasChanges()).set("tfAdd", s.add()).set("tfChange", s.change())
                .set("tfDestroy", s.destroy());
        String changes = resourceChangesJson(s.resourceChanges());
        // a document over the 4,000-character text column is a JSON value (a plan of a hundred resources)
        out.set("tfResourceChanges", changes.length() <= StepLogs.TAIL_CHARS ? changes
                : org.camunda.spin.plugin.variable.SpinValues.jsonValue(changes).create());
        String summary = s.describe();
        out.set("tfPlanSummary", summary.length() <= StepLogs.TAIL_CHARS ? summary
                : summary.substring(0, StepLogs.TAIL_CHARS - 60) + "\n… (the whole plan is in the step log)");
        out.set("tfPlanId", execution.getProcessInstanceId() + "/" + s.sha256()).set("tfPlanSha256", s.sha256())
                .set("tfPlanDestroy", destroy);
    }

    static String resourceChangesJson(List<ResourceChange> changes) {
        try {
            return JSON.writeValueAsString(changes.stream()
                    .map(rc -> Map.of("address", rc.address(), "actions", rc.actions())).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
