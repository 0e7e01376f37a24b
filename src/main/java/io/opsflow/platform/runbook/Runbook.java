package io.opsflow.platform.runbook;

/**
 * Base of every runbook declaration: the BPMN process key it declares, given once to the constructor. The rest of
 * {@link RunbookDefinition} (inputs, evidence, approval rule, lock, validation) is what makes each runbook its own.
 */
public abstract class Runbook implements RunbookDefinition {
    private final String processKey;

    protected Runbook(String processKey) {
        this.processKey = processKey;
    }

    @Override
    public final String processKey() {
        return processKey;
    }
}
