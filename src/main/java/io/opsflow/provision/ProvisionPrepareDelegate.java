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
    private final ProvisionProperties props;

    public ProvisionPrepareDelegate(ProvisionInfrastructureRunbook runbook, Environments environments,
                                    ProvisionProperties props) {
        this.runbook = runbook;
        this.environments = environments;
        this.props = props;
    }

    @Override
    public void execute(DelegateExecution execution) {
        Environment env = environments.get(ProvisionVariables.string(execution, "environment"));
        boolean destroy = "destroy".equals(execution.getVariable("action"));
        execution.setVariable("terraformVars", ProvisionVariables.json(runbook.terraformVars(env,
                execution.getVariable("hostCount"), execution.getVariable("tfVars"))));
        execution.setVariable("needsApproval", needsApproval(env, destroy, props));
        execution.setVariable("hostsBefore", new ArrayList<>(env.hosts().stream().map(HostConfig::name).toList()));
    }

    static boolean needsApproval(Environment env, boolean destroy, ProvisionProperties props) {
        return destroy || "production".equals(env.name()) || env.requiresApproval()
                || props.isRequireApprovalEverywhere();
    }
}
