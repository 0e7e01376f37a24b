package io.opsflow.provision;

import java.util.ArrayList;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;

/**
 * Task_Prepare: the Terraform variables of this run ({@code terraformVars}, JSON), whether it needs approval
 * ({@code needsApproval}: always for destroy and for production / environments with requires-approval; elsewhere
 * when opsflow.provision.require-approval-everywhere) and the hosts before the change ({@code hostsBefore}).
 */
@Component("provisionPrepare")
public class ProvisionPrepareDelegate implements JavaDelegate {
    private final ProvisionInfrastructureRunbook runbook;
    private final Environments environments;

    public ProvisionPrepareDelegate(ProvisionInfrastructureRunbook runbook, Environments environments) {
        this.runbook = runbook;
        this.environments = environments;
    }

    @Override
    public void execute(DelegateExecution execution) {
        Environment env = environments.get(ProvisionVariables.string(execution, "environment"));
        execution.setVariable("terraformVars", ProvisionVariables.json(runbook.terraformVars(env,
                execution.getVariable("hostCount"), execution.getVariable("tfVars"))));
        // the runbook's one rule, the same the start recorded (RunbookDefinition.requiresApproval)
        execution.setVariable("needsApproval", runbook.requiresApproval(execution.getVariables(), env));
        execution.setVariable("hostsBefore", new ArrayList<>(env.hosts().stream().map(HostConfig::name).toList()));
    }
}
