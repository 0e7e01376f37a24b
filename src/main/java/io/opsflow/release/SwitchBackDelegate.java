package io.opsflow.release;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_SwitchBack, compensation handler of Task_SwitchTraffic: the load balancer routes to the old colour again,
 * which kept running: instant rollback.
 */
@Component("releaseSwitchBack")
class SwitchBackDelegate extends ReleaseStep {
    SwitchBackDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        ops.switchColour(v.environment(), v.application(), v.plan().previousColour(), log);
    }
}
