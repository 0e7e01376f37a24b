package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** Whether a port is free, and who holds it when it is not (ports chosen by the OS, never fixed ones). */
class SandboxPortsTest {

    @Test
    void aPortSomeoneListensOnIsHeldAndNamesItsProcess() throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = held.getLocalPort();
            assertThat(SandboxPorts.free(port)).isFalse();
            assertThat(SandboxPorts.firstHeld(port, port + 1)).hasValue(port);
            // the port below belongs to nobody we know: another process (a parallel fork) may hold it, so the first
            // held port of [port - 1, port + 1) is port - 1 or this one, never none and never one past it
            assertThat(SandboxPorts.firstHeld(port - 1, port + 1).orElseThrow()).isBetween(port - 1, port);

            assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "/proc/net/tcp (Linux) names the holder");
            SandboxPorts.Holder holder = SandboxPorts.holder(port).orElseThrow();
            assertThat(holder.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(holder.command()).contains("java");
            assertThat(holder.describe()).startsWith("pid " + ProcessHandle.current().pid() + " (");
        }
    }

    @Test
    void aListenerOnAllAddressesHoldsTheLoopbackPortToo() throws Exception {
        try (ServerSocket held = new ServerSocket()) {
            held.bind(new InetSocketAddress(0));
            assertThat(SandboxPorts.free(held.getLocalPort())).isFalse();
        }
    }

    @Test
    void aClosedPortIsFreeAndHasNoHolder() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(SandboxPorts.free(port)).isTrue();
        assertThat(SandboxPorts.holder(port)).isEmpty();
        assertThat(SandboxPorts.describeHolder(port)).isEqualTo("another process");
    }

    @Test
    void readsListeningSocketsFromProcNetTcp() {
        String header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                + "inode";
        String listen = "   0: 0100007F:4E20 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 "
                + "123456 1 0000000000000000 100 0 0 10 0";
        String established = "   1: 0100007F:4E20 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        "
                + "0 654321 1 0000000000000000 20 4 30 10 -1";
        String tcp6 = "   0: 00000000000000000000000000000000:4E21 00000000000000000000000000000000:0000 0A "
                + "00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0";
        assertThat(SandboxPorts.parseListener(header, 20000)).isNull();
        assertThat(SandboxPorts.parseListener(listen, 20000)).isEqualTo(new SandboxPorts.Listener(20000, 1000, 123456));
        assertThat(SandboxPorts.parseListener(listen, 20001)).as("another port").isNull();
        assertThat(SandboxPorts.parseListener(established, 20000)).as("not listening").isNull();
        assertThat(SandboxPorts.parseListener(tcp6, 20001)).isEqualTo(new SandboxPorts.Listener(20001, 0, 777));
    }

    @Test
    void describesHoldersItCannotSee() {
        assertThat(new SandboxPorts.Holder(-1, "", 1001).describe())
                .isEqualTo("a process of uid 1001 (not visible to this user)");
        assertThat(new SandboxPorts.Holder(-1, "", -1).describe()).isEqualTo("another process");
        assertThat(new SandboxPorts.Holder(42, "python3 -m http.server 20101", 1000).describe())
                .isEqualTo("pid 42 (python3 -m http.server 20101)");
    }
}
