package io.opsflow.sandbox.artifacts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Minimal, deterministic POSIX ustar writer wrapped in gzip: every entry gets the same mtime, owner 0:0 and an
 * explicit mode, so building the same content twice gives the same bytes (and the same SHA-256).
 */
final class TarGzWriter {

    static final long MTIME = 1_704_067_200L; // 2024-01-01T00:00:00Z
    private static final int BLOCK = 512;
    private static final int RECORD = BLOCK * 20;

    private final ByteArrayOutputStream tar = new ByteArrayOutputStream();

    void directory(String name, int mode) {
        String dir = name.endsWith("/") ? name : name + "/";
        header(dir, mode, 0, (byte) '5');
    }

    void file(String name, int mode, byte[] content) {
        header(name, mode, content.length, (byte) '0');
        tar.writeBytes(content);
        int pad = (BLOCK - content.length % BLOCK) % BLOCK;
        tar.writeBytes(new byte[pad]);
    }

    /** Finishes the archive (two zero blocks, padded to a full record) and returns it gzip-compressed. */
    byte[] finish() {
        tar.writeBytes(new byte[2 * BLOCK]);
        int pad = (RECORD - tar.size() % RECORD) % RECORD;
        tar.writeBytes(new byte[pad]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            tar.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gz.toByteArray();
    }

    private void header(String name, int mode, long size, byte type) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || name.startsWith("/") || name.contains("..")) {
            throw new IllegalArgumentException("unsupported tar entry name: " + name);
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(nameBytes, 0, h, 0, nameBytes.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, MTIME);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        h[156] = type;
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String chk = String.format("%06o", sum);
        ascii(h, 148, chk);
        h[154] = 0;
        h[155] = ' ';
        tar.writeBytes(h);
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > length - 1) {
            throw new IllegalArgumentException("value too large for tar header: " + value);
        }
        String padded = "0".repeat(length - 1 - s.length()) + s;
        ascii(h, offset, padded);
        h[offset + length - 1] = 0;
    }

    private static void ascii(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }
}
