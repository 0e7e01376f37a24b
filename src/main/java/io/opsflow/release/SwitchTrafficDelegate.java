package io.opsflow.release;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_SwitchTraffic (blue-green): the load balancer routes only to the new colour. Compensated by SwitchBack. */
@Component("releaseSwitchTraffic")
class SwitchTrafficDelegate extends ReleaseStep {
    SwitchTrafficDelegate(ReleaseOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(ReleaseVars v, StepLog log) {
        ops.switchColour(v.environment(), v.application(), v.plan().targetColour(), log);
    }
}
