package io.opsflow.step.ssh;

/** The TCP/SSH connection to a host could not be established (refused, unreachable, timed out, protocol error). */
public class SshConnectException extends SshException {
    public SshConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
