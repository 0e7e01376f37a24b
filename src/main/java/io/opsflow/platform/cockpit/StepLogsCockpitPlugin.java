package io.opsflow.platform.cockpit;

import java.util.Set;

import org.camunda.bpm.cockpit.plugin.spi.impl.AbstractCockpitPlugin;

/**
 * The "Step logs" tab of Cockpit's process instance view: every step log of the run, the selected one (or the one of
 * the activity clicked in the diagram) growing live while the step runs. A Camunda 7 webapp plugin: found through
 * {@code META-INF/services/org.camunda.bpm.cockpit.plugin.spi.CockpitPlugin}, its frontend module is
 * {@code plugin-webapp/opsflow-step-logs/app/plugin.js} (and {@code plugin.css}) on the classpath, served by
 * {@link StepLogsPluginRootResource} under {@code /camunda/api/cockpit/plugin/opsflow-step-logs/static/app/}. The
 * module reads opsflow's own API, {@code /api/runs/{id}/logs} and its {@code /stream}, with the browser's Cockpit
 * session: the same authorization as for every {@code /api/runs} read.
 */
public class StepLogsCockpitPlugin extends AbstractCockpitPlugin {
    public static final String ID = "opsflow-step-logs";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public Set<Class<?>> getResourceClasses() {
        return Set.of(StepLogsPluginRootResource.class);
    }
}
