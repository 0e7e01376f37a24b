package io.opsflow.fleet;

/**
 * A backend as the load balancer's admin API lists it ({@code GET /_lb/pools}): {@code state} active|drained,
 * {@code healthy} by the load balancer's own checks, {@code inFlight} requests it is serving (null when not counted).
 */
public record PoolBackend(String id, String state, boolean healthy, Integer inFlight) {
}
