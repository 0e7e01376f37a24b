package io.opsflow.fleet;

/**
 * A drained backend: whether it finished its in-flight requests within the drain-wait ({@code idle}; null when the
 * load balancer does not count them, or when no wait was asked for) and how many it still had.
 */
public record Drained(String backend, Boolean idle, Integer inFlight) {
}
