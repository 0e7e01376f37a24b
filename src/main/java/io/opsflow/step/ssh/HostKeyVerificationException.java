package io.opsflow.step.ssh;

/**
 * The server's host key is not the one we trust: unknown to known_hosts, different from the known_hosts entry, or
 * not matching a pinned fingerprint. Never "fixed" by accepting the key blindly: verify it out of band.
 */
public class HostKeyVerificationException extends SshException {
    private final String presentedFingerprint;

    public HostKeyVerificationException(String message, String presentedFingerprint, Throwable cause) {
        super(message, cause);
        this.presentedFingerprint = presentedFingerprint;
    }

    /** {@code SHA256:…} of the key the server presented (null when the failure happened before that). */
    public String presentedFingerprint() {
        return presentedFingerprint;
    }
}
