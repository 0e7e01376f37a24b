package io.opsflow.fleet;

/**
 * What {@code release-remove.sh} did: whether it deleted the instance and its release; {@code laterVersion} is set
 * (and nothing was touched) when the instance runs another version than the one to remove: a later change owns it.
 */
public record Removed(boolean instanceRemoved, boolean releaseRemoved, String laterVersion) {

    public boolean ownedByLaterChange() {
        return laterVersion != null;
    }
}
