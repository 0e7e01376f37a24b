package io.opsflow.platform.locks;

import org.camunda.bpm.engine.ProcessEngineException;

/** The named lock is held by another run. REST maps it to HTTP 409; nothing was started. */
public class RunbookLockedException extends ProcessEngineException {
    private final String lockName;
    private final String owner;

    public RunbookLockedException(String lockName, String owner) {
        super("Lock '" + lockName + "' is held by run " + owner
                + ": one run per lock at a time. Wait for it to finish or cancel it in Cockpit.");
        this.lockName = lockName;
        this.owner = owner;
    }

    public String lockName() {
        return lockName;
    }

    public String owner() {
        return owner;
    }
}
