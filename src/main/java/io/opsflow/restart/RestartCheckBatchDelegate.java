package io.opsflow.restart;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.fleet.PerHost;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_CheckBatch: probes every host of {@code batch} live and records the result in {@code hostProgress}
 * ("restarted" or "FAILED: detail") and {@code batchHealthy}. It never throws for an unhealthy host, so the states
 * are committed; the diagram then routes a failed batch to Task_HoldFailedBatch ({@link RestartHoldFailedBatchDelegate}).
 */
@Component("restartCheckBatch")
class RestartCheckBatchDelegate extends RestartStep {
    RestartCheckBatchDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        boolean includeDatabase = Boolean.TRUE.equals(execution.getVariable("includeDatabase"));
        HostProgress progress = HostProgress.read(execution);
        List<String> failed = new ArrayList<>();
        List<String> batch = RestartVariables.batch(execution);
        List<RestartOperations.HostState> states = PerHost.map(batch, ops.parallelism(env), host -> {
            try {
                return ops.probeHost(env, host, includeDatabase, log);
            } catch (RuntimeException e) {
                return new RestartOperations.HostState(host, false, "unreachable: " + e.getMessage());
            }
        });
        for (int i = 0; i < batch.size(); i++) {
            String host = batch.get(i);
            RestartOperations.HostState s = states.get(i);
            if (s.healthy()) {
                progress.set(host, "restarted");
            } else {
                progress.set(host, "FAILED: " + s.detail());
                failed.add(host);
            }
            log.info(host + ": " + progress.get(host));
        }
        progress.write(execution);
        execution.setVariable("batchHealthy", failed.isEmpty());
        if (!failed.isEmpty()) {
            onFailure(execution, env, failed, progress);
        }
    }

    /** The check records only; the hold step throws here. */
    protected void onFailure(DelegateExecution execution, String env, List<String> failed, HostProgress progress) {
    }
}
