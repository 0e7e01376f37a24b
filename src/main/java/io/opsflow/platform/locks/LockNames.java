package io.opsflow.platform.locks;

/**
 * Every lock name a runbook takes, in one place: {@code <kind>:<environment>[/<what>]}. Two runs exclude each other
 * when they ask for the same name, and a lock on a whole environment ({@code platform:<env>}: restart, provision)
 * excludes every lock of that environment and is excluded by any of them ({@link #conflict}): a rolling restart never
 * runs while a release, a scale or a restore changes hosts of the same environment. Which runbooks share a kind is
 * decided here; {@link RunbookLocks} enforces it.
 */
public final class LockNames {
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile(
            "([a-z][a-z0-9-]*):([A-Za-z0-9][A-Za-z0-9_.-]*)(/.+)?");

    private LockNames() {
    }

    /** The environment a lock name belongs to, or null for a name outside this scheme. */
    public static String environment(String lockName) {
        var m = NAME.matcher(lockName);
        return m.matches() ? m.group(2) : null;
    }

    /** Whether the lock covers its whole environment. */
    public static boolean environmentWide(String lockName) {
        var m = NAME.matcher(lockName);
        return m.matches() && m.group(3) == null && "platform".equals(m.group(1));
    }

    /** Whether two runs holding {@code a} and {@code b} would change the same hosts. */
    public static boolean conflict(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        String env = environment(a);
        return env != null && env.equals(environment(b)) && (environmentWide(a) || environmentWide(b));
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

    /** The TLS certificates of one environment's edge. */
    public static String certificates(String environment) {
        return "certificates:" + environment;
    }

    /** Schema migrations of one application's database in one environment. */
    public static String migration(String environment, String application) {
        return "migrate:" + environment + "/" + application;
    }
}
