package io.opsflow.step.ssh;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code opsflow.ssh.*}: defaults for SSH steps that are not driven by an environment's own ssh settings
 * (the generic {@code sshCommand} delegate).
 *
 * @param keyRef         private key reference: {@code file:/path/to/key} or {@code env:VAR} holding the path
 * @param passphraseRef  optional passphrase reference ({@code env:NAME} / {@code file:/path})
 * @param knownHosts     known_hosts file used to verify host keys
 * @param fingerprints   optional pinned host key fingerprints (used in addition to / instead of known_hosts)
 * @param user           default login user
 * @param port           default port
 * @param connectTimeout TCP connect + handshake timeout
 * @param commandTimeout default timeout of one remote command
 */
@ConfigurationProperties("opsflow.ssh")
public record SshProperties(String keyRef, String passphraseRef, Path knownHosts, List<String> fingerprints,
                            @DefaultValue("opsflow") String user, @DefaultValue("22") int port,
                            @DefaultValue("PT15S") Duration connectTimeout,
                            @DefaultValue("PT10M") Duration commandTimeout) {

    public SshProperties {
        fingerprints = fingerprints == null ? List.of() : List.copyOf(fingerprints);
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(15) : connectTimeout;
        commandTimeout = commandTimeout == null ? Duration.ofMinutes(10) : commandTimeout;
    }

    /** A target on {@code host} using these defaults; port/user override when non-null. */
    public SshTarget target(String host, Integer portOverride, String userOverride) {
        if (keyRef == null || keyRef.isBlank()) {
            throw new IllegalStateException("opsflow.ssh.key-ref is not configured (file:/path/to/key or env:VAR"
                    + " holding the key path)");
        }
        return new SshTarget(host, portOverride == null ? port : portOverride,
                userOverride == null || userOverride.isBlank() ? user : userOverride, keyRef, passphraseRef,
                knownHosts, fingerprints);
    }
}
