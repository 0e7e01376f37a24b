package io.opsflow.sandbox.faults;

import org.camunda.bpm.engine.ProcessEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;

import io.opsflow.sandbox.SandboxFleet;

/**
 * The fault-injection beans, imported by {@code SandboxConfiguration} (sandbox mode only, never {@code prod}); not a
 * {@code @Configuration} so the application's component scan does not register it on its own.
 */
public class SandboxFaultsBeans {

    @Bean
    public SandboxFaults sandboxFaults(SandboxFleet fleet) {
        return new SandboxFaults(fleet);
    }

    /** {@code /api/sandbox/faults} (administrators). */
    @Bean
    public RouterFunction<ServerResponse> sandboxFaultRoutes(SandboxFaults faults,
                                                             ObjectProvider<ProcessEngine> engine) {
        // resolved per request: a context of the sandbox alone (no engine) still starts
        return SandboxFaultsApi.routes(faults, () -> engine.getObject().getIdentityService());
    }
}
