package io.opsflow.database;

import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where backups are kept away from the hosts they come from. Keys are relative, slash-separated
 * ({@code <env>/<target>/<backupId>.<ext>}). Implementations: {@link DirectoryOffsiteStore} (a directory on the
 * opsflow machine: a mounted storage box, NFS); the contract is shaped for an S3-compatible store (put = upload of a
 * complete object, list by prefix, delete is idempotent, no partial object is ever visible under its key).
 */
public interface OffsiteStore {

    /** Keys: lower-case names separated by '/', no "." or ".." segments, no leading '/' or '-' (hidden names are leftovers of writes). */
    Pattern KEY = Pattern.compile("[a-z0-9._][a-z0-9._-]{0,200}(/[a-z0-9._][a-z0-9._-]{0,200}){0,8}");

    /**
     * Stores the stream under {@code key} (replacing an object with that key). The object becomes visible under its key
     * only once complete; on failure nothing is left. The SHA-256 and size are computed from the bytes written.
     */
    StoredObject put(String key, InputStream content);

    /** Reads the stored object back and computes its SHA-256: what is really there, not what was sent. */
    String sha256(String key);

    /** Opens the stored object; the caller closes the stream. Fails when there is no such object. */
    InputStream open(String key);

    boolean exists(String key);

    /** Deletes the object; true if it existed. Deleting a missing key is fine. */
    boolean delete(String key);

    /** Objects whose key starts with {@code prefix} (including leftovers of interrupted writes), any order. */
    List<StoredObject> list(String prefix);

    /** Human-readable location for the catalog and the logs, e.g. {@code file:///srv/backups/a/b} or {@code s3://b/k}. */
    String location(String key);

    record StoredObject(String key, long size, String sha256, Instant lastModified) {
    }

    static String checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches() || key.contains("/./") || key.contains("/../")) {
            throw new IllegalArgumentException("invalid offsite key " + key
                    + ": lower-case names separated by '/', no '.' or '..' segments");
        }
        for (String seg : key.split("/")) {
            if (seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("invalid offsite key " + key + ": '.' and '..' are not allowed");
            }
        }
        return key;
    }

    /** Thrown when a stored object is missing. */
    class NoSuchObjectException extends IllegalStateException {
        public NoSuchObjectException(String location) {
            super("offsite copy " + location + " does not exist");
        }
    }
}
