package io.opsflow.provision;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

/**
 * Task_UpdateFleet: hands Terraform's outputs to the first {@link FleetProvisioner} that handles the environment
 * (sandbox: starts/stops simulated hosts; real: updates the registry). Outputs: {@code provisionedHosts},
 * {@code newHosts}, {@code removedHosts}.
 */
@Component("provisionUpdateFleet")
public class ProvisionUpdateFleetDelegate implements JavaDelegate {
    private final List<FleetProvisioner> provisioners;

    public ProvisionUpdateFleetDelegate(List<FleetProvisioner> provisioners) {
        this.provisioners = List.copyOf(provisioners);
    }

    @Override
    public void execute(DelegateExecution execution) {
        String env = ProvisionVariables.string(execution, "environment");
        FleetProvisioner p = provisioners.stream().filter(f -> f.handles(env)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no FleetProvisioner handles environment " + env));
        FleetProvisioner.FleetChange change = p.applyHostCount(env,
                ProvisionVariables.jsonObject(execution, "tfOutputs"));
        execution.setVariable("provisionedHosts", new ArrayList<>(change.hosts()));
        execution.setVariable("newHosts", new ArrayList<>(change.added()));
        execution.setVariable("removedHosts", new ArrayList<>(change.removed()));
    }
}
