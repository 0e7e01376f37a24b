package io.opsflow.platform.approval;

import java.util.function.Supplier;

/**
 * The named principal a run is started by when no person starts it directly: {@code timer} (a timer start event),
 * {@code message} (a message start event), {@code alertmanager} (the Alertmanager webhook), {@code system} (engine
 * code without an authenticated user). It becomes the run's initiator; such a run still needs a person's approval.
 */
public final class SystemPrincipal {
    public static final String TIMER = "timer";
    public static final String MESSAGE = "message";
    public static final String ALERTMANAGER = "alertmanager";
    public static final String SYSTEM = "system";

    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private SystemPrincipal() {
    }

    /** Runs {@code start} with {@code principal} as the initiator of the runs it starts (on this thread). */
    public static <T> T startAs(String principal, Supplier<T> start) {
        String previous = CURRENT.get();
        CURRENT.set(principal);
        try {
            return start.get();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    static String current() {
        return CURRENT.get();
    }
}
