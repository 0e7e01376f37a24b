package io.opsflow.environments;

/**
 * A managed host. Application instance ports are {@code portBase + offset(app, instance)}: real hosts share one base
 * (8000), sandbox hosts on one machine get distinct bases and a {@code portSpan}: the block
 * {@code [portBase, portBase + portSpan)} is theirs, the ports past it belong to the next host. Null span: every port
 * from the base up is the host's (a machine of its own).
 */
public record HostConfig(String name, String address, Integer sshPort, int portBase, Integer portSpan) {

    public HostConfig(String name, String address, Integer sshPort, int portBase) {
        this(name, address, sshPort, portBase, null);
    }

    /** The first port that is not this host's: {@code portBase + portSpan}, or 65536 without a span. */
    public int portCeiling() {
        return portSpan == null ? 65536 : Math.min(65536, portBase + portSpan);
    }
}
