package io.opsflow.restart;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_PlanRestart: reads which services run on which host and cuts the hosts into batches. Outputs: {@code hosts}
 * (list), {@code batches} (list of host lists), {@code batchCount}, {@code restartPlan} (text for the approver),
 * {@code hostProgress} (all pending).
 */
@Component("restartPlan")
class RestartPlanDelegate extends RestartStep {
    RestartPlanDelegate(RestartOperations ops, StepLogs logs) {
        super(ops, logs);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        boolean includeDatabase = Boolean.TRUE.equals(execution.getVariable("includeDatabase"));
        boolean emergency = "emergency".equals(execution.getVariable("mode"));
        int batchSize = ((Number) execution.getVariable("batchSize")).intValue();
        List<RestartOperations.HostServices> inventory = ops.inventory(env, includeDatabase, log);
        if (inventory.isEmpty()) {
            throw new IllegalStateException("environment " + env + " has no hosts: nothing to restart");
        }
        List<String> hosts = new ArrayList<>(inventory.stream().map(RestartOperations.HostServices::host).toList());
        List<List<String>> batches = emergency ? new ArrayList<>(List.of(new ArrayList<>(hosts)))
                : RestartBatches.of(hosts, batchSize);
        StringBuilder plan = new StringBuilder();
        plan.append(emergency ? "EMERGENCY restart of all " + hosts.size() + " host(s) at once, WITHOUT draining "
                + "them from the load balancer (expect errors while services restart)"
                : "rolling restart of " + hosts.size() + " host(s) in " + batches.size() + " batch(es) of up to "
                + batchSize + ": drain, restart, wait healthy, undrain; stops at the first failing batch");
        for (int b = 0; b < batches.size(); b++) {
            if (!emergency) {
                plan.append("\nbatch ").append(b + 1).append(": ").append(String.join(", ", batches.get(b)));
            }
        }
        for (RestartOperations.HostServices hs : inventory) {
            plan.append("\n").append(hs.host()).append(": ")
                    .append(hs.services().isEmpty() ? "(no services found)" : String.join(" -> ", hs.services()));
        }
        execution.setVariable("hosts", hosts);
        execution.setVariable("batches", new ArrayList<>(batches));
        execution.setVariable("batchCount", batches.size());
        // the approver's text: whole in the step log, cut to what a text variable holds (100 hosts with long names
        // run to ~10,000 characters); the plan itself is the hosts and batches variables, signed whole
        plan.toString().lines().forEach(l -> log.line("plan", l));
        io.opsflow.platform.runbook.RunVariables.of(execution).setText("restartPlan", plan.toString());
        HostProgress.pending(hosts).write(execution);
    }
}
