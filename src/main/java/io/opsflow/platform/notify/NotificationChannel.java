package io.opsflow.platform.notify;

/** A way out for notifications: {@code email} or {@code webhook} (the {@code channel} tag of the counters). */
public interface NotificationChannel {
    String name();

    /** Whether the channel has what it needs to send (a host, a URL); a channel that is not configured is skipped. */
    boolean configured();

    /**
     * Sends {@code n} once; throws when it could not (the caller retries). Returns false when there was nobody to send
     * it to (no recipient with an address), which is neither sent nor failed.
     */
    boolean send(Notification n) throws Exception;

    /** {@code message} with every secret this channel knows replaced by {@code ****}, for logs. */
    String redact(String message);
}
