package io.opsflow.step.ssh;

import java.time.Duration;
import java.util.List;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;

/**
 * Runs one command on one host over a pooled connection ({@link SshConnections#open}). For several commands or hosts
 * see {@link SshFanOut}.
 */
@Component
public class SshStep {
    private final SshConnections connections;

    public SshStep(SshConnections connections) {
        this.connections = connections;
    }

    /**
     * Connects (host key verified, key auth), runs {@code argv} quoted through {@link ShellQuote}, streams output to
     * {@code log}, returns exit code, stdout and stderr tail. Throws {@link SshConnectException},
     * {@link HostKeyVerificationException}, {@link SshAuthenticationException},
     * {@link io.opsflow.step.exec.CommandTimeoutException}; a non-zero exit is returned, not thrown.
     */
    public SshResult run(SshTarget target, List<String> argv, Duration timeout, StepLog log) {
        ShellQuote.join(argv); // bad argv fails before any connection is made
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        log.line("step", "connecting to " + target.display());
        try (SshSession session = connections.open(target)) {
            return session.exec(argv, timeout, log);
        } catch (StaleConnectionException e) {
            // the command never started: run it once more, on a new connection
            log.line("step", "pooled connection to " + target.display() + " was gone; reconnecting");
            try (SshSession session = connections.open(target)) {
                return session.exec(argv, timeout, log);
            }
        }
    }
}
