package io.opsflow.step.ssh;

/** A worker script broke the protocol: its last stdout line is not a JSON object. Fix the script. */
public class WorkerOutputException extends SshException {
    private final int exitCode;

    public WorkerOutputException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
