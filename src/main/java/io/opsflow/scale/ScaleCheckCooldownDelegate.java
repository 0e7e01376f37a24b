package io.opsflow.scale;

import java.time.Instant;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.springframework.stereotype.Component;

/**
 * Task_CheckCooldown: sets {@code cooldownActive} (and {@code cooldownUntil}, {@code rejectionReason} when active)
 * from {@link ScaleCooldown}. Whether a run meets this task at all is drawn in the diagram: always after the alert
 * (message) start, after the manual start only with {@code honourCooldown=true}.
 */
@Component("scaleCheckCooldown")
class ScaleCheckCooldownDelegate implements JavaDelegate {
    private final ScaleProperties props;

    ScaleCheckCooldownDelegate(ScaleProperties props) {
        this.props = props;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = ScaleVariables.string(execution, "environment");
        String app = ScaleVariables.string(execution, "application");
        Instant now = ClockUtil.getCurrentTime().toInstant();
        ScaleCooldown.Status s = ScaleCooldown.check(execution.getProcessEngineServices().getHistoryService(), env,
                app, props.getCooldown(), now);
        execution.setVariable("cooldownActive", s.active());
        if (s.active()) {
            execution.setVariable("cooldownUntil", s.until().toString());
            execution.setVariable("rejectionReason", s.reason(env, app, props.getCooldown()));
        }
    }
}
