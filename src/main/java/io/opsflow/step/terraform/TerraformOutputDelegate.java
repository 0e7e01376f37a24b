package io.opsflow.step.terraform;

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
 * {@code terraform output -json} into variable tfOutputs: a JSON object string {name: value} (sensitive outputs
 * replaced by "(sensitive)"). Parse it with {@link #parse(String)}. Like every Terraform step's outputs (and
 * {@code terraformLogPath}/{@code terraformLogTail}) it is local to the task ({@link StepOutputs}): the diagram maps
 * it with {@code camunda:outputParameter} when the task is a scope.
 */
@Component("terraformOutput")
public class TerraformOutputDelegate implements JavaDelegate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TerraformStep step;
    private final TerraformExecutionContext context;
    private final StepLogs logs;

    public TerraformOutputDelegate(TerraformStep step, TerraformExecutionContext context, StepLogs logs) {
        this.step = step;
        this.context = context;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        StepOutputs out = StepOutputs.of(execution);
        try (StepLog log = logs.forExecution(execution)) {
            try {
                Map<String, Object> outputs = step.outputs(context.root(execution), log);
                out.set("tfOutputs", JSON.writeValueAsString(outputs));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            } finally {
                context.publishLog(out, log);
            }
        }
    }

    /** Reads tfOutputs back into a map (for other steps, e.g. the sandbox reading the {@code hosts} output). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parse(String tfOutputs) {
        try {
            return JSON.readValue(tfOutputs, Map.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tfOutputs is not a JSON object: " + e.getOriginalMessage(), e);
        }
    }
}
