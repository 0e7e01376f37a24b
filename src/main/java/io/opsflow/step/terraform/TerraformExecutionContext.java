package io.opsflow.step.terraform;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepOutputs;

/**
 * What the Terraform delegates read from an execution: the root (variable {@code terraformRoot}, else the
 * {@code terraform-root} of the environment named by variable {@code environment}; relative paths resolved by
 * {@link TerraformStep#resolveRoot}), the Terraform variables (variable {@code terraformVars}: a JSON object string,
 * or a Map where the engine can store one) and the per-run directory.
 */
@Component
public class TerraformExecutionContext {
    public static final String VAR_ROOT = "terraformRoot";
    public static final String VAR_VARS = "terraformVars";
    public static final String VAR_ENVIRONMENT = "environment";
    public static final String VAR_LOG_PATH = "terraformLogPath";
    public static final String VAR_LOG_TAIL = "terraformLogTail";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectProvider<Environments> environments;
    private final TerraformStep step;

    public TerraformExecutionContext(ObjectProvider<Environments> environments, TerraformStep step) {
        this.environments = environments;
        this.step = step;
    }

    public Path root(DelegateExecution execution) {
        Object explicit = execution.getVariable(VAR_ROOT);
        if (explicit != null && !explicit.toString().isBlank()) {
            return step.resolveRoot(explicit.toString());
        }
        Object envName = execution.getVariable(VAR_ENVIRONMENT);
        Environments registry = environments.getIfAvailable();
        if (envName == null || registry == null) {
            throw new IllegalStateException("no Terraform root: set the process variable " + VAR_ROOT
                    + " or start the run with an 'environment' whose terraform-root is configured");
        }
        Environment env = registry.get(envName.toString());
        if (env.terraformRoot() == null || env.terraformRoot().isBlank()) {
            throw new IllegalStateException("environment '" + env.name() + "' has no terraform-root; configure"
                    + " opsflow.environments." + env.name() + ".terraform-root");
        }
        return step.resolveRoot(env.terraformRoot());
    }

    public Map<String, Object> vars(DelegateExecution execution) {
        return parseVars(execution.getVariable(VAR_VARS));
    }

    static Map<String, Object> parseVars(Object raw) {
        if (raw == null) {
            return Map.of();
        }
        if (raw instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }
        if (raw instanceof String s) {
            if (s.isBlank()) {
                return Map.of();
            }
            try {
                return JSON.readValue(s, new TypeReference<LinkedHashMap<String, Object>>() { });
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(VAR_VARS + " is not a JSON object: " + e.getOriginalMessage(), e);
            }
        }
        throw new IllegalArgumentException(VAR_VARS + " must be a Map or a JSON object string, not "
                + raw.getClass().getSimpleName());
    }

    /** Records where the step's whole log is and its tail (for Cockpit), among the step's outputs. */
    public void publishLog(StepOutputs out, StepLog log) {
        if (log.path() != null) {
            out.set(VAR_LOG_PATH, log.path().toString());
        }
        out.set(VAR_LOG_TAIL, log.tail());
    }
}
