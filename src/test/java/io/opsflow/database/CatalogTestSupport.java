package io.opsflow.database;

/** What tests in other packages may do to a catalog that the application may not: empty it. */
public final class CatalogTestSupport {
    private CatalogTestSupport() {
    }

    /** Empties the backup and the restore table. */
    public static void clear(BackupCatalog catalog) {
        catalog.clearForTests();
    }
}
