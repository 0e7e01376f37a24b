package io.opsflow.database;

/** A backup copy does not match the SHA-256 recorded in the catalog: it must not be restored. */
public class ChecksumMismatchException extends RuntimeException {
    private final String where;
    private final String expected;
    private final String actual;

    public ChecksumMismatchException(String where, String expected, String actual) {
        super("checksum mismatch of " + where + ": catalog has " + expected + ", the copy has " + actual
                + "; the backup is damaged and was not restored");
        this.where = where;
        this.expected = expected;
        this.actual = actual;
    }

    public String where() {
        return where;
    }

    public String expected() {
        return expected;
    }

    public String actual() {
        return actual;
    }
}
