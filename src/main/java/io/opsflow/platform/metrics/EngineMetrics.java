package io.opsflow.platform.metrics;

import org.camunda.bpm.engine.ManagementService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.TaskService;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Camunda 7 ships no Micrometer integration: these gauges query the engine at scrape time (Prometheus endpoint
 * {@code /actuator/prometheus}). Alert on {@code opsflow_incidents_open > 0} and on approvals waiting too long.
 */
@Component
public class EngineMetrics implements MeterBinder {
    private final ProcessEngine engine;

    public EngineMetrics(ProcessEngine engine) {
        this.engine = engine;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        RuntimeService runtime = engine.getRuntimeService();
        ManagementService mgmt = engine.getManagementService();
        TaskService tasks = engine.getTaskService();
        Gauge.builder("opsflow.runs.active", () -> runtime.createProcessInstanceQuery().active().count())
                .description("Runbook runs in progress").register(registry);
        Gauge.builder("opsflow.incidents.open", () -> runtime.createIncidentQuery().count())
                .description("Open incidents (steps that failed after all retries)").register(registry);
        Gauge.builder("opsflow.jobs.failed", () -> mgmt.createJobQuery().noRetriesLeft().count())
                .description("Jobs without retries left").register(registry);
        Gauge.builder("opsflow.jobs.executable", () -> mgmt.createJobQuery().executable().count())
                .description("Jobs due for execution (backlog of the job executor)").register(registry);
        Gauge.builder("opsflow.approvals.waiting",
                        () -> tasks.createTaskQuery().taskDefinitionKey("Task_Approve").count())
                .description("Approval tasks waiting for an approver").register(registry);
    }
}
