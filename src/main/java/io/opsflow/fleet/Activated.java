package io.opsflow.fleet;

/**
 * What {@code release-activate.sh} did to an instance: the version {@code current} pointed at before
 * ({@code previousVersion}, null on a first install), the version it runs now, its port, and whether it came up
 * healthy; when not, {@code error} says why (the new version stays installed and current: the caller decides).
 */
public record Activated(String host, String instance, String previousVersion, String version, int port,
                        boolean healthy, String error) {
}
