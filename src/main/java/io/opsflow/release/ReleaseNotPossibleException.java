package io.opsflow.release;

/** The release cannot be carried out as asked (application not deployed, wrong layout): a modelled outcome. */
public class ReleaseNotPossibleException extends RuntimeException {
    public ReleaseNotPossibleException(String message) {
        super(message);
    }
}
