package io.opsflow.step.ssh;

/** An SSH step could not do its work. Technical failure: Camunda retries, then raises an incident with this message. */
public class SshException extends RuntimeException {
    public SshException(String message) {
        super(message);
    }

    public SshException(String message, Throwable cause) {
        super(message, cause);
    }
}
