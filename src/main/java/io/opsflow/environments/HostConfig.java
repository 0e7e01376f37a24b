package io.opsflow.environments;

/**
 * A managed host. Application instance ports are {@code portBase + offset(app, instance)}: real hosts share one base
 * (8000), sandbox hosts on one machine get distinct bases.
 */
public record HostConfig(String name, String address, Integer sshPort, int portBase) {
}
