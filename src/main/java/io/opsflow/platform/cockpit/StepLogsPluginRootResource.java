package io.opsflow.platform.cockpit;

import jakarta.ws.rs.Path;

import org.camunda.bpm.cockpit.plugin.resource.AbstractCockpitPluginRootResource;

/** Serves the plugin's frontend assets (only {@code app/plugin.js} and {@code app/plugin.css}); no API of its own. */
@Path("plugin/" + StepLogsCockpitPlugin.ID)
public class StepLogsPluginRootResource extends AbstractCockpitPluginRootResource {
    public StepLogsPluginRootResource() {
        super(StepLogsCockpitPlugin.ID);
    }
}
