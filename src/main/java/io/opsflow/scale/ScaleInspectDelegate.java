package io.opsflow.scale;

import java.util.ArrayList;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.platform.runbook.RunVariables;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_Inspect: reads the pool, computes the target ({@code instances}, or the current count + {@code delta}) and the
 * plan. Outputs: previousCount, targetCount, capacity, deployedVersion, instanceColor, previousInstances (JSON),
 * scaleDirection (up|down|none|refused), addPlacements / removePlacements ("host/instance" lists), scalePlan (text
 * for the approver), rejectionReason when refused.
 */
@Component("scaleInspect")
class ScaleInspectDelegate extends ScaleStep {
    private final Environments environments;
    private final ScaleProperties props;

    ScaleInspectDelegate(ScaleOperations ops, Environments environments, ScaleProperties props, StepLogs logs) {
        super(ops, logs);
        this.environments = environments;
        this.props = props;
    }

    @Override
    void run(DelegateExecution execution, String envName, String app, StepLog log) {
        Environment env = environments.get(envName);
        ScaleOperations.PoolState pool = ops.inspect(envName, app, log);
        int previous = pool.instances().size();
        Object instances = execution.getVariable("instances");
        Object delta = execution.getVariable("delta");
        int target = instances != null ? ((Number) instances).intValue() : previous + ((Number) delta).intValue();

        ScalePlan plan = ScalePlanner.plan(app, env.hosts(), pool.instances(), target, props.getMaxInstancesPerHost(),
                portFits(environments, env, app, pool));
        if (plan.direction() != ScalePlan.Direction.REFUSED && pool.version() == null) {
            plan = ScalePlan.refused(previous, target, plan.capacity(), "the instances of " + app + " in " + envName
                    + " do not serve one version (a release is running or failed half-way): finish or roll back "
                    + "the release, then scale");
        }
        execution.setVariable("previousCount", previous);
        execution.setVariable("targetCount", target);
        execution.setVariable("capacity", plan.capacity());
        execution.setVariable("deployedVersion", pool.version());
        execution.setVariable("instanceColor", pool.color());
        // a JSON document: a String while it fits the text column, a JSON value beyond (a pool over 100 hosts)
        RunVariables.of(execution).setJson("previousInstances", ScaleVariables.instanceMaps(pool.instances()));
        execution.setVariable("scaleDirection", plan.direction().variableValue());
        execution.setVariable("addPlacements", new ArrayList<>(plan.add().stream().map(Placement::key).toList()));
        execution.setVariable("removePlacements",
                new ArrayList<>(plan.remove().stream().map(Placement::key).toList()));
        String described = plan.describe(envName, app, pool.version());
        described.lines().forEach(l -> log.line("plan", l));
        RunVariables.of(execution).setText("scalePlan", described); // whole in the step log
        execution.setVariable("scaleAddFailed", false);
        if (plan.direction() == ScalePlan.Direction.REFUSED) {
            execution.setVariable("rejectionReason", plan.refusal());
        }
    }

    /**
     * A new instance's port must be free on its host: not held by an instance of any application there (a webapp
     * scale instance's port can be an api instance's), and inside the host's port block (sandbox hosts on one machine:
     * past it are the next host's ports).
     */
    static ScalePlanner.NameFits portFits(Environments environments, Environment env, String app,
                                          ScaleOperations.PoolState pool) {
        return (hostName, instance) -> {
            HostConfig host = env.host(hostName).orElseThrow();
            int port = environments.instancePort(host, app, instance);
            if (port >= host.portCeiling()) {
                return app + "/" + instance + " on " + hostName + " would listen on port " + port
                        + ", past the host's ports " + host.portBase() + ".." + (host.portCeiling() - 1);
            }
            String holder = pool.portsInUse().getOrDefault(hostName, Map.of()).get(port);
            return holder == null || holder.equals(app + "/" + instance) ? null : app + "/" + instance + " on "
                    + hostName + " would listen on port " + port + ", which " + holder + " holds";
        };
    }
}
