package io.opsflow.platform;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.RunbookDefinition;

/** Inputs of the test-only BPMN {@code platform-sample} (src/test/resources/bpmn), used by platform tests. */
@Component
public class SampleRunbook implements RunbookDefinition {
    @Override
    public String processKey() {
        return "platform-sample";
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(InputSpec.environment("environment"), InputSpec.name("application"),
                InputSpec.version("version"), InputSpec.integer("batchSize").min(1).max(50).defaultValue(1),
                InputSpec.choice("strategy", "rolling", "blue-green", "canary").defaultValue("rolling"),
                InputSpec.text("reason").optional());
    }

    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of("release:" + vars.get("environment") + "/" + vars.get("application"));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        if (environments.get((String) vars.get("environment")).requiresApproval()
                && (vars.get("reason") == null || ((String) vars.get("reason")).isBlank())) {
            errors.add("reason: is required for an environment that requires approval");
        }
    }
}
