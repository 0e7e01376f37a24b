package io.opsflow.platform.security;

import org.camunda.bpm.spring.boot.starter.rest.CamundaJerseyResourceConfig;
import org.springframework.stereotype.Component;

/**
 * Camunda's REST resources plus opsflow's exception mapping: validation → 400, lock → 409, four-eyes → 403, and no
 * server file path in any error message.
 */
@Component
public class OpsflowJerseyConfig extends CamundaJerseyResourceConfig {
    @Override
    protected void registerAdditionalResources() {
        super.registerAdditionalResources();
        register(RunbookRestExceptionMapper.RestExceptionMapper.class);
        register(RunbookRestExceptionMapper.EngineExceptionMapper.class);
        register(RunbookRestExceptionMapper.AnyExceptionMapper.class);
    }
}
