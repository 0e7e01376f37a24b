package io.opsflow.release;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Task_SwitchBack, compensation handler of Task_SwitchTraffic: the load balancer routes to the old colour again,
 * which kept running: instant rollback.
 */
@Component("releaseSwitchBack")
public class SwitchBackDelegate implements JavaDelegate {
    private final ReleaseOperations ops;

    public SwitchBackDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        ops.switchColour(v.environment(), v.application(), v.plan().previousColour());
    }
}
