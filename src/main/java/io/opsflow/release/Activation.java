package io.opsflow.release;

/**
 * Result of switching an instance to a version: what it ran before ({@code null} when the instance was new) and
 * whether it answered healthy afterwards. An unhealthy start is a result, not an exception: the host HAS changed and
 * the health gate decides, so compensation can put the previous version back.
 */
public record Activation(String host, String instance, String previousVersion, String version, boolean healthy,
                         String detail) {
}
