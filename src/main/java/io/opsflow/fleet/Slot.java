package io.opsflow.fleet;

/** An application instance's place: a host of the environment and the instance name on it (blue, green, …). */
public record Slot(String host, String instance) {
}
