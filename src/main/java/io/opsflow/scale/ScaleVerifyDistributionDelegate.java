package io.opsflow.scale;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_VerifyDistribution: after scaling up, every new instance must answer through the load balancer; after
 * scaling down, no removed instance may answer and no request may fail. Failure (or a new instance that never became
 * healthy) is the modelled outcome BpmnError {@value #ERROR_CODE}: the diagram compensates back to the previous count.
 * Output: {@code distribution} (JSON: requests, failures, answers per instance).
 */
@Component("scaleVerifyDistribution")
class ScaleVerifyDistributionDelegate extends ScaleStep {
    public static final String ERROR_CODE = "SCALE_VERIFY_FAILED";

    ScaleVerifyDistributionDelegate(ScaleOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, String app, StepLog log) {
        if (Boolean.TRUE.equals(execution.getVariable("scaleAddFailed"))) {
            throw new BpmnError(ERROR_CODE, String.valueOf(execution.getVariable("scaleFailure")));
        }
        Set<String> mustAnswer = new LinkedHashSet<>();
        Set<String> mustNotAnswer = new LinkedHashSet<>();
        if ("up".equals(execution.getVariable("scaleDirection"))) {
            ScaleVariables.stringList(execution, "addPlacements")
                    .forEach(k -> mustAnswer.add(Placement.parse(k).instance()));
        } else {
            List<AppInstance> previous = ScaleVariables.previousInstances(execution);
            List<String> removed = ScaleVariables.stringList(execution, "removePlacements");
            for (String k : removed) {
                String name = Placement.parse(k).instance();
                // a removed name that another remaining instance also carries (blue on two hosts) cannot be told apart
                boolean unique = previous.stream().filter(i -> !removed.contains(i.key()))
                        .noneMatch(i -> i.instance().equals(name));
                if (unique) {
                    mustNotAnswer.add(name);
                }
            }
        }
        ScaleOperations.Distribution d = ops.verifyDistribution(env, app, mustAnswer, mustNotAnswer, log);
        execution.setVariable("distribution", ScaleVariables.json(java.util.Map.of("ok", d.ok(), "requests",
                d.requests(), "failures", d.failures(), "answered", d.answered(), "detail", String.valueOf(d.detail()))));
        if (!d.ok()) {
            throw new BpmnError(ERROR_CODE, "load balancer check failed: " + d.detail());
        }
    }
}
