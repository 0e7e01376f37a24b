package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_ConfigureHosts: the base setup playbook on {@code newHosts} only (failure: incident, retry after fixing). */
@Component("provisionConfigureHosts")
public class ProvisionConfigureHostsDelegate implements JavaDelegate {
    private final ProvisionOperations ops;
    private final StepLogs logs;

    public ProvisionConfigureHostsDelegate(ProvisionOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try (StepLog log = logs.forExecution(execution)) {
            ops.configureHosts(ProvisionVariables.string(execution, "environment"),
                    ProvisionVariables.stringList(execution, "newHosts"), log);
        }
    }
}
