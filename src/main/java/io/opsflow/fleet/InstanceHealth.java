package io.opsflow.fleet;

/**
 * An instance checked directly on its port: healthy when its {@code /version} names the expected version and its
 * health path answers 200; {@code version} is what {@code /version} said (null when it said nothing readable);
 * {@code detail} is for people ("health 200, version 1.1.0").
 */
public record InstanceHealth(boolean healthy, String version, String detail) {
}
