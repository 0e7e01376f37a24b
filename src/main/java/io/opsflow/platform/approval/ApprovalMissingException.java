package io.opsflow.platform.approval;

import org.camunda.bpm.engine.ProcessEngineException;

/**
 * A step that changes hosts, databases or infrastructure was about to run in a run that needs an approval, and the
 * approval record does not allow it (none, rejected, decided by the initiator, or the inputs/evidence differ from
 * what was approved). The step did nothing. Not retried: the job fails at once and the incident says why.
 */
public class ApprovalMissingException extends ProcessEngineException {
    private static final long serialVersionUID = 1L;

    public ApprovalMissingException(String message) {
        super(message);
    }
}
