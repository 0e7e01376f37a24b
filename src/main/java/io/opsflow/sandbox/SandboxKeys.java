package io.opsflow.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLogs;

/**
 * The sandbox client key pair ({@code keys/id_ed25519} + {@code .pub}, OpenSSH format, usable by ssh, ansible and
 * SSHJ) and the known_hosts file. The key is generated once with {@code ssh-keygen} when it is installed, otherwise
 * by the JDK (Ed25519) written in the OpenSSH private key format.
 */
public final class SandboxKeys {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxKeys.class);
    static final String COMMENT = "opsflow-sandbox";

    private final Path dir;
    private final CommandRunner runner;

    public SandboxKeys(Path dir, CommandRunner runner) {
        this.dir = dir.toAbsolutePath().normalize();
        this.runner = runner;
    }

    public Path privateKey() {
        return dir.resolve("id_ed25519");
    }

    public Path publicKey() {
        return dir.resolve("id_ed25519.pub");
    }

    /** The public key line ({@code ssh-ed25519 AAAA... opsflow-sandbox}). */
    public String publicKeyLine() throws IOException {
        return Files.readString(publicKey()).strip();
    }

    /** Generates the key pair unless both files exist. */
    public void ensureClientKey() throws IOException {
        if (Files.isRegularFile(privateKey()) && Files.isRegularFile(publicKey())) {
            return;
        }
        Files.createDirectories(dir);
        Files.deleteIfExists(privateKey());
        Files.deleteIfExists(publicKey());
        if (!generateWithSshKeygen()) {
            generateWithJdk();
        }
        restrict(privateKey());
        LOG.info("generated the sandbox SSH key {}", privateKey());
    }

    private boolean generateWithSshKeygen() {
        if (runner == null) {
            return false;
        }
        try {
            CommandResult r = runner.run(CommandSpec.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", COMMENT,
                    "-f", privateKey().toString()).timeout(Duration.ofSeconds(30)).build(), StepLogs.noop());
            if (r.exitCode() == 0 && Files.isRegularFile(publicKey())) {
                return true;
            }
            LOG.warn("ssh-keygen failed (exit {}): {}; generating the key in Java", r.exitCode(), r.stderrTail());
        } catch (RuntimeException e) {
            LOG.info("ssh-keygen not usable ({}); generating the sandbox key in Java", e.getMessage());
        } catch (Exception e) {
            LOG.info("ssh-keygen not usable ({}); generating the sandbox key in Java", e.toString());
        }
        return false;
    }

    void generateWithJdk() throws IOException {
        KeyPair kp;
        try {
            kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("the JDK cannot generate Ed25519 keys", e);
        }
        byte[] pub = rawPublic((EdECPublicKey) kp.getPublic());
        byte[] seed = ((EdECPrivateKey) kp.getPrivate()).getBytes()
                .orElseThrow(() -> new IOException("Ed25519 private key bytes are not extractable"));
        byte[] pubBlob = blob(out -> {
            string(out, "ssh-ed25519".getBytes(StandardCharsets.US_ASCII));
            string(out, pub);
        });
        int check = new SecureRandom().nextInt();
        byte[] priv = blob(out -> {
            out.writeInt(check);
            out.writeInt(check);
            string(out, "ssh-ed25519".getBytes(StandardCharsets.US_ASCII));
            string(out, pub);
            byte[] both = new byte[64];
            System.arraycopy(seed, 0, both, 0, 32);
            System.arraycopy(pub, 0, both, 32, 32);
            string(out, both);
            string(out, COMMENT.getBytes(StandardCharsets.UTF_8));
            int pad = 1;
            while ((out.size() % 8) != 0) {
                out.write(pad++);
            }
        });
        byte[] file = blob(out -> {
            out.write("openssh-key-v1".getBytes(StandardCharsets.US_ASCII));
            out.write(0);
            string(out, "none".getBytes(StandardCharsets.US_ASCII));
            string(out, "none".getBytes(StandardCharsets.US_ASCII));
            string(out, new byte[0]);
            out.writeInt(1);
            string(out, pubBlob);
            string(out, priv);
        });
        String b64 = Base64.getMimeEncoder(70, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(file);
        writeAtomically(privateKey(), "-----BEGIN OPENSSH PRIVATE KEY-----\n" + b64
                + "\n-----END OPENSSH PRIVATE KEY-----\n", true);
        writeAtomically(publicKey(), "ssh-ed25519 " + Base64.getEncoder().encodeToString(pubBlob) + " " + COMMENT + "\n");
    }

    /** RFC 8032 encoding: y little-endian, the sign of x in the top bit of the last byte. */
    private static byte[] rawPublic(EdECPublicKey key) {
        BigInteger y = key.getPoint().getY();
        byte[] be = y.toByteArray();
        byte[] le = new byte[32];
        for (int i = 0; i < be.length && i < 32; i++) {
            le[i] = be[be.length - 1 - i];
        }
        if (key.getPoint().isXOdd()) {
            le[31] |= (byte) 0x80;
        }
        return le;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] blob(Writer w) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        }
        return bytes.toByteArray();
    }

    private static void string(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    /** Rewrites the known_hosts file with the given lines. */
    public void writeKnownHosts(Path file, List<String> lines) throws IOException {
        writeAtomically(file, lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
    }

    static void writeAtomically(Path file, String content) throws IOException {
        writeAtomically(file, content, false);
    }

    static void writeAtomically(Path file, String content, boolean secret) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot restrict permissions of {}: {}", file, e.toString());
        }
    }
}
