package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_CheckHosts: every new host answers (failure: incident naming the hosts, retry after fixing). */
@Component("provisionCheckHosts")
public class ProvisionCheckHostsDelegate implements JavaDelegate {
    private final ProvisionOperations ops;
    private final StepLogs logs;

    public ProvisionCheckHostsDelegate(ProvisionOperations ops, StepLogs logs) {
        this.ops = ops;
        this.logs = logs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try (StepLog log = logs.forExecution(execution)) {
            ops.checkHosts(ProvisionVariables.string(execution, "environment"),
                    ProvisionVariables.stringList(execution, "newHosts"), log);
        }
    }
}
