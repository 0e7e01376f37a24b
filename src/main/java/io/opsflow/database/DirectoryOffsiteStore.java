package io.opsflow.database;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An offsite store in a directory (a mounted storage box, NFS, a second disk): objects are files under the root.
 * Writes go to a hidden {@code .<name>.<uuid>.partial} file that is fsynced and renamed atomically when complete,
 * and removed when the write fails.
 */
public class DirectoryOffsiteStore implements OffsiteStore {
    private final Path root;

    public DirectoryOffsiteStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    Path path(String key) {
        Path p = root.resolve(OffsiteStore.checkKey(key)).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("offsite key escapes the store: " + key);
        }
        return p;
    }

    @Override
    public StoredObject put(String key, InputStream content) {
        Path target = path(key);
        Path partial = null;
        try {
            Files.createDirectories(target.getParent());
            partial = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
            MessageDigest sha = Sha256.digest();
            long size;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(partial), sha)) {
                size = content.transferTo(out);
            }
            try (var ch = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
            partial = null;
            return new StoredObject(key, size, Sha256.hex(sha), Files.getLastModifiedTime(target).toInstant());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write offsite copy " + location(key) + ": " + e.getMessage(), e);
        } finally {
            if (partial != null) {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException ignored) {
                    // the orphan sweep of retention removes it
                }
            }
        }
    }

    @Override
    public String sha256(String key) {
        try (InputStream in = open(key)) {
            return Sha256.of(in);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read offsite copy " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(path(key));
        } catch (NoSuchFileException e) {
            throw new NoSuchObjectException(location(key));
        } catch (IOException e) {
            throw new UncheckedIOException("could not open offsite copy " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(path(key));
    }

    @Override
    public boolean delete(String key) {
        try {
            return Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete offsite copy " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<StoredObject> list(String prefix) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<StoredObject> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String key = root.relativize(p).toString().replace('\\', '/');
                if (key.startsWith(prefix)) {
                    out.add(new StoredObject(key, Files.size(p), null, Files.getLastModifiedTime(p).toInstant()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list offsite store " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public String location(String key) {
        return root.resolve(key).toUri().toString();
    }
}
