package io.opsflow.platform.locks;

/**
 * Every lock name a runbook takes, in one place: {@code <kind>:<environment>[/<what>]}. Two runs exclude each other
 * exactly when they ask for the same name (see {@link RunbookLocks}); which runbooks share a kind is decided here.
 */
public final class LockNames {
    private LockNames() {
    }

    /** Release, deploy and scale of one application in one environment: they change the same instances. */
    public static String application(String environment, String application) {
        return "release:" + environment + "/" + application;
    }

    /** Restart and provision of a whole environment: they change every host of it. */
    public static String platform(String environment) {
        return "platform:" + environment;
    }

    /** Backup, restore into the live database, and the pre-migration backup of one database target. */
    public static String database(String environment, String target) {
        return "backup:" + environment + "/" + target;
    }

    /** A restore into a scratch database of a target: does not touch the live one. */
    public static String scratchRestore(String environment, String target) {
        return "restore-scratch:" + environment + "/" + target;
    }

    /** Schema migrations of one application's database in one environment. */
    public static String migration(String environment, String application) {
        return "migrate:" + environment + "/" + application;
    }
}
