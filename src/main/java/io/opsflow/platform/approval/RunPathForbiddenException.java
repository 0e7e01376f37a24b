package io.opsflow.platform.approval;

import org.camunda.bpm.engine.AuthorizationException;

/**
 * A way into a run that opsflow does not allow to this user: a start placed past the start event (start
 * instructions, restart), a modification of a run's tokens by a non-administrator, an approval decided by someone who
 * is not an eligible approver or by nobody at all. An {@link AuthorizationException}, so every REST path answers 403.
 */
public class RunPathForbiddenException extends AuthorizationException {
    private static final long serialVersionUID = 1L;

    public RunPathForbiddenException(String message) {
        super(message);
    }
}
