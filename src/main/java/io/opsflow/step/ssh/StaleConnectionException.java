package io.opsflow.step.ssh;

/**
 * A pooled connection that looked alive could not open a channel (the host restarted, a middlebox dropped it): the
 * command did not start, so it is safe to run it again on a new connection ({@link SshStep} does so once).
 */
public class StaleConnectionException extends SshConnectException {
    public StaleConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
