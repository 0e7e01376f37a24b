package io.opsflow.step.ssh;

/** The key could not be read/decrypted, or the server did not accept it for the user. */
public class SshAuthenticationException extends SshException {
    public SshAuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
