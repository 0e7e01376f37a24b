package io.opsflow.release;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/** Task_SwitchTraffic (blue-green): the load balancer routes only to the new colour. Compensated by SwitchBack. */
@Component("releaseSwitchTraffic")
public class SwitchTrafficDelegate implements JavaDelegate {
    private final ReleaseOperations ops;

    public SwitchTrafficDelegate(ReleaseOperations ops) {
        this.ops = ops;
    }

    @Override
    public void execute(DelegateExecution execution) {
        ReleaseVars v = new ReleaseVars(execution);
        ops.switchColour(v.environment(), v.application(), v.plan().targetColour());
    }
}
