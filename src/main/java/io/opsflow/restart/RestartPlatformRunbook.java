package io.opsflow.restart;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.environments.Environment;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Inputs of restart-platform. A rolling restart must leave at least one host serving, so its batch must be smaller
 * than the environment's host count (an environment with one host can only be restarted in emergency mode).
 */
@Component
public class RestartPlatformRunbook extends Runbook {
    public static final String PROCESS_KEY = "restart-platform";

    public RestartPlatformRunbook() {
        super(PROCESS_KEY);
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment"),
                InputSpec.choice("mode", "rolling", "emergency").defaultValue("rolling"),
                InputSpec.integer("batchSize").min(1).max(100).defaultValue(1),
                InputSpec.bool("includeDatabase").defaultValue(false),
                InputSpec.text("reason").maxLength(500).optional());
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("hosts", "batches", "batchCount", "restartPlan");
    }

    /** An emergency restart (all at once) always needs an approval; a rolling one where the environment says so. */
    @Override
    public boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return "emergency".equals(vars.get("mode")) || (environment != null && environment.requiresApproval());
    }

    /** One platform-wide operation per environment at a time. */
    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.platform((String) vars.get("environment")));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        var env = environments.get((String) vars.get("environment"));
        String reason = (String) vars.get("reason");
        boolean emergency = "emergency".equals(vars.get("mode"));
        if ((emergency || env.requiresApproval()) && (reason == null || reason.isBlank())) {
            errors.add("reason: is required for an emergency restart and where approval is required");
        }
        int hosts = env.hosts().size();
        if (hosts == 0) {
            errors.add("environment: " + env.name() + " has no hosts to restart");
            return;
        }
        int batch = ((Number) vars.get("batchSize")).intValue();
        if (!emergency && batch >= hosts) {
            errors.add("batchSize: must be smaller than the number of hosts (" + hosts + ") so the load balancer"
                    + " keeps serving during a rolling restart" + (hosts == 1
                    ? "; a single-host environment can only be restarted with mode emergency" : ""));
        }
    }
}
