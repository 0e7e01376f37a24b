package io.opsflow.platform.api;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.springframework.stereotype.Component;

/** The user the REST authentication filter put on the engine for this request. */
@Component
public class CurrentUser {
    private final IdentityService identityService;

    public CurrentUser(IdentityService identityService) {
        this.identityService = identityService;
    }

    public String id() {
        Authentication a = identityService.getCurrentAuthentication();
        return a == null ? null : a.getUserId();
    }
}
