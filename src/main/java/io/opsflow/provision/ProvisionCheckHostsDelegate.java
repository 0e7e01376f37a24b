package io.opsflow.provision;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_CheckHosts: every new host answers (failure: incident naming the hosts, retry after fixing). */
@Component("provisionCheckHosts")
public class ProvisionCheckHostsDelegate extends RunbookStep {
    private final ProvisionOperations ops;

    public ProvisionCheckHostsDelegate(ProvisionOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected void run(DelegateExecution execution, StepLog log) {
        ops.checkHosts(ProvisionVariables.string(execution, "environment"),
                ProvisionVariables.stringList(execution, "newHosts"), log);
    }
}
