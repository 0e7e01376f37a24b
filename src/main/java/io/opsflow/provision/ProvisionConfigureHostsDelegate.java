package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_ConfigureHosts: the base setup playbook on {@code newHosts} only (failure: incident, retry after fixing). */
@Component("provisionConfigureHosts")
public class ProvisionConfigureHostsDelegate extends RunbookStep {
    private final ProvisionOperations ops;

    public ProvisionConfigureHostsDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        ops.configureHosts(ProvisionVariables.string(execution, "environment"),
                ProvisionVariables.stringList(execution, "newHosts"), log);
    }
}
