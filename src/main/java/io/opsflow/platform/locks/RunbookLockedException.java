package io.opsflow.platform.locks;

import org.camunda.bpm.engine.ProcessEngineException;

/** The named lock is held by another run. REST maps it to HTTP 409; nothing was started. */
public class RunbookLockedException extends ProcessEngineException {
    private final String lockName;
    private final String owner;

    public RunbookLockedException(String lockName, String owner) {
        this(lockName, owner, lockName);
    }

    /** {@code wanted} could not be taken because run {@code owner} holds the conflicting {@code lockName}. */
    public RunbookLockedException(String lockName, String owner, String wanted) {
        super(wanted.equals(lockName)
                ? "Lock '" + lockName + "' is held by run " + owner
                + ": one run per lock at a time. Wait for it to finish or cancel it in Cockpit."
                : "Lock '" + wanted + "' conflicts with lock '" + lockName + "' held by run " + owner
                + " (both change hosts of the same environment). Wait for it to finish or cancel it in Cockpit.");
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
