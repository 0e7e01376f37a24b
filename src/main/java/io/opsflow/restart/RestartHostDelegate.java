package io.opsflow.restart;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_RestartHost (parallel multi-instance, one per host of the batch, element variable {@code host}): restarts the
 * host's services in dependency order and waits healthy. Writes only the local {@code hostState} (visible per host in
 * Cockpit); the batch check that follows decides. An unreachable host throws (retry, then incident on that host).
 */
@Component("restartHost")
class RestartHostDelegate extends RestartStep {
    RestartHostDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        String host = (String) execution.getVariable("host");
        boolean includeDatabase = Boolean.TRUE.equals(execution.getVariable("includeDatabase"));
        RestartOperations.HostState state;
        try {
            state = ops.restartHost(env, host, includeDatabase, log);
        } catch (RuntimeException e) {
            throw new IllegalStateException("restart of " + host + " in " + env + " (" + RestartVariables.batchLabel(
                    execution) + ") failed: " + e.getMessage() + ". The batch stays drained; fix the host, then retry"
                    + " this job", e);
        }
        execution.setVariableLocal("hostState", state.healthy() ? "restarted, healthy" : "UNHEALTHY: " + state.detail());
    }
}
