package io.opsflow.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.testsupport.RealComponent;

/** The catalog's portable SQL on the production database: PostgreSQL at 127.0.0.1:5432 (a throwaway database). */
class BackupCatalogPostgresIT {

    @Test
    void catalogWorksOnPostgres() throws SQLException {
        boolean up;
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "")) {
            up = c.isValid(2);
        } catch (SQLException e) {
            up = false;
        }
        RealComponent.available(up, "PostgreSQL at 127.0.0.1:5432 (user postgres)");
        String db = "opsflow_catalog_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        exec("CREATE DATABASE " + db);
        try {
            DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:postgresql://127.0.0.1:5432/" + db,
                    "postgres", "");
            BackupCatalog catalog = new BackupCatalog(new JdbcTemplate(ds));
            new BackupCatalog(new JdbcTemplate(ds)); // a second start finds the tables
            Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            BackupEntry old = entry("old", t.minus(Duration.ofDays(1)));
            BackupEntry b = entry("new", t);
            catalog.insert(old);
            catalog.insert(b);
            assertThat(catalog.find("new")).contains(b);
            assertThat(catalog.list("production")).extracting(BackupEntry::id).containsExactly("new", "old");
            assertThat(catalog.latest("production", "appdb")).contains(b);
            assertThat(catalog.existsObjectKey(b.objectKey())).isTrue();
            catalog.recordRestore(new RestoreRecord("pi-1", "new", "production", "appdb", "scratch", true, t,
                    t.plusSeconds(60), "SUCCEEDED", 60L, 120L, "drill", "pi-1"));
            catalog.markRestored("new", t.plusSeconds(60));
            assertThat(catalog.restores("production")).singleElement().extracting(RestoreRecord::rtoSeconds)
                    .isEqualTo(60L);
            assertThat(catalog.find("new").orElseThrow().lastRestoredAt()).isEqualTo(t.plusSeconds(60));
            assertThat(catalog.delete("old")).isTrue();
            assertThat(catalog.list(null)).extracting(BackupEntry::id).containsExactly("new");
        } finally {
            exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    static BackupEntry entry(String id, Instant at) {
        return new BackupEntry(id, "production", "appdb", "postgres", "postgres://db:5432/app", "file:///x/" + id,
                "production/appdb/" + id + ".pgdump", 42, "a".repeat(64), at, at.plusSeconds(5), true, "scheduled",
                Map.of("public.items", 3L), "fingerprint", "pi", null);
    }

    static void exec(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
