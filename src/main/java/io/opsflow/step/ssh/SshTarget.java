package io.opsflow.step.ssh;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import io.opsflow.step.exec.SecretRef;

/**
 * Where and how to log in: host, port, user, the private key as a reference ({@code file:/path/to/key} or
 * {@code env:VAR} whose value is the key's path), an optional passphrase reference ({@code env:NAME} or
 * {@code file:/path} holding the passphrase) and how to verify the host key: a known_hosts file and/or pinned
 * fingerprints ({@code SHA256:…} as printed by {@code ssh-keygen -lf}, or MD5 hex). One of the two is mandatory:
 * there is no "accept any host key" mode.
 */
public record SshTarget(String host, int port, String user, String keyRef, String passphraseRef,
                        Path knownHostsFile, List<String> pinnedFingerprints) {

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]");
    private static final Pattern USER = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}");

    public SshTarget {
        if (host == null || !HOST.matcher(host).matches() || host.startsWith("-")) {
            throw new IllegalArgumentException("ssh host is not a valid host name or address: '" + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("ssh port must be 1..65535: " + port);
        }
        if (user == null || !USER.matcher(user).matches()) {
            throw new IllegalArgumentException("ssh user is not a valid user name: '" + user + "'");
        }
        SecretRef.parse(keyRef); // validates the syntax now; resolved only when connecting
        if (passphraseRef != null && passphraseRef.isBlank()) {
            passphraseRef = null;
        }
        if (passphraseRef != null) {
            SecretRef.parse(passphraseRef);
        }
        pinnedFingerprints = pinnedFingerprints == null ? List.of() : List.copyOf(pinnedFingerprints);
        for (String fp : pinnedFingerprints) {
            if (fp == null || fp.isBlank() || fp.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("pinned host key fingerprint is blank or has whitespace: '"
                        + fp + "'");
            }
        }
        if (knownHostsFile == null && pinnedFingerprints.isEmpty()) {
            throw new IllegalArgumentException("ssh target " + user + "@" + host + ":" + port
                    + " has neither a known_hosts file nor pinned host key fingerprints; host keys are always"
                    + " verified (configure opsflow.ssh.known-hosts or the environment's ssh.known-hosts)");
        }
    }

    /** The contract's short form: key without passphrase, host key checked against a known_hosts file. */
    public SshTarget(String host, int port, String user, String keyRef, Path knownHostsFile) {
        this(host, port, user, keyRef, null, knownHostsFile, List.of());
    }

    public SshTarget withPassphraseRef(String ref) {
        return new SshTarget(host, port, user, keyRef, ref, knownHostsFile, pinnedFingerprints);
    }

    public SshTarget withPinnedFingerprints(List<String> fingerprints) {
        return new SshTarget(host, port, user, keyRef, passphraseRef, knownHostsFile, fingerprints);
    }

    public SshTarget withKnownHostsFile(Path file) {
        return new SshTarget(host, port, user, keyRef, passphraseRef, file, pinnedFingerprints);
    }

    /** {@code user@host:port}, for logs and messages (no secrets in here). */
    public String display() {
        return user + "@" + host + ":" + port;
    }

    @Override
    public String toString() {
        return "SshTarget[" + display() + ", key " + keyRef + (passphraseRef == null ? "" : ", passphrase "
                + passphraseRef) + (knownHostsFile == null ? "" : ", known_hosts " + knownHostsFile)
                + (pinnedFingerprints.isEmpty() ? "" : ", pinned " + pinnedFingerprints) + "]";
    }
}
