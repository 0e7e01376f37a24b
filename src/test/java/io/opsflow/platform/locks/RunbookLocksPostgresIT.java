package io.opsflow.platform.locks;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.testsupport.RealComponent;

/** The lock contract on PostgreSQL (what a cluster of engine nodes shares), in a schema of its own. */
class RunbookLocksPostgresIT extends RunbookLocksContract {
    private final String schema = "locks_it_" + Long.toHexString(System.nanoTime());
    private DataSource ds;

    @BeforeEach
    void database() {
        boolean up;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test",
                "postgres", "")) {
            up = c.isValid(2);
        } catch (java.sql.SQLException e) {
            up = false;
        }
        RealComponent.available(up, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)");
        DriverManagerDataSource admin = new DriverManagerDataSource("jdbc:postgresql://127.0.0.1:5432/test",
                "postgres", "");
        new JdbcTemplate(admin).execute("CREATE SCHEMA " + schema);
        ds = new DriverManagerDataSource("jdbc:postgresql://127.0.0.1:5432/test?currentSchema=" + schema,
                "postgres", "");
        jdbc().execute("CREATE TABLE ACT_RU_EXECUTION (ID_ VARCHAR(64) PRIMARY KEY, PROC_INST_ID_ VARCHAR(64))");
    }

    @AfterEach
    void drop() {
        if (ds != null) {
            new JdbcTemplate(ds).execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    @Override
    DataSource dataSource() {
        return ds;
    }
}
