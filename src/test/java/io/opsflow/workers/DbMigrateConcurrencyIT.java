package io.opsflow.workers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.sandbox.artifacts.ArtifactStore;
import io.opsflow.testsupport.RealComponent;

/**
 * Two db-migrate.sh runs on one PostgreSQL database at once, as after a node killed in the migration step: its psql
 * outlives it, waiting for a lock, while the node that took the step over migrates the same database. Each migration
 * is applied once and both runs succeed: one applies, the other finds it in the history read again under the advisory
 * lock and skips it. (Before, both read the history first, both ran 002's ALTER TABLE, and the second failed on "column
 * already exists": a failed step, an incident once its retries ran out.)
 */
class DbMigrateConcurrencyIT {
    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";

    @Test
    void twoRunsAtOnceApplyEachMigrationOnceAndBothSucceed(@TempDir Path tmp) throws Exception {
        RealComponent.require("psql", "apt-get install postgresql-client");
        RealComponent.available(reachable(), "PostgreSQL at 127.0.0.1:5432 (user postgres)");
        ArtifactStore.build(tmp.resolve("store"));
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        String db = "migrate_race_" + Long.toHexString(System.nanoTime());
        sql("postgres", "CREATE DATABASE " + db);
        try {
            assertThat(migrate(tmp, db, store.artifact("webapp", "1.0.0")).waitFor(90, TimeUnit.SECONDS)).isTrue();
            List<Process> runs = new ArrayList<>();
            try (Connection hold = DriverManager.getConnection(SERVER + db, "postgres", "")) {
                hold.setAutoCommit(false);
                hold.createStatement().execute("LOCK TABLE items IN ACCESS SHARE MODE"); // 002 alters items
                for (int i = 0; i < 2; i++) {
                    runs.add(migrate(tmp, db, store.artifact("webapp", "1.2.0")));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db + "' AND "
                        + "application_name = 'opsflow-workers' AND wait_event_type = 'Lock'") < 2) {
                    assertThat(System.nanoTime()).as("both runs waiting in 002").isLessThan(deadline);
                    assertThat(runs).as("both runs still running").allMatch(Process::isAlive);
                    Thread.sleep(100);
                }
                hold.rollback();
            }
            List<String> applied = new ArrayList<>();
            for (Process p : runs) {
                assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
                String out = new String(p.getInputStream().readAllBytes());
                JsonNode json = new ObjectMapper().readTree(out);
                assertThat(json.path("ok").asBoolean()).as(out).isTrue();
                assertThat(p.exitValue()).isZero();
                json.path("applied").forEach(n -> applied.add(n.asText()));
            }
            assertThat(applied).as("each migration applied by one of the runs")
                    .containsExactlyInAnyOrder("002_items_add_price.sql", "003_create_orders.sql");
            assertThat(count(db, "SELECT COUNT(*) FROM opsflow_schema_history")).isEqualTo(3);
            assertThat(count(db, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'items' AND "
                    + "column_name = 'price_cents'")).isOne();
        } finally {
            sql("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    /** db-migrate.sh as a host runs it (assembled, argv only, a clean environment); stderr to a file. */
    private static Process migrate(Path tmp, String db, Path artifact) throws Exception {
        Path work = Files.createTempDirectory(tmp, "run");
        ProcessBuilder pb = new ProcessBuilder(WorkersShellcheckTest.assembledDir().resolve("db-migrate.sh").toString(),
                "--kind", "postgres", "--database", db, "--artifact", artifact.toString(), "--host", "127.0.0.1",
                "--port", "5432", "--user", "postgres");
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        pb.environment().put("HOME", work.toString());
        pb.environment().put("TMPDIR", work.toString());
        pb.redirectError(work.resolve("stderr.log").toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static boolean reachable() {
        try (Connection c = DriverManager.getConnection(SERVER + "postgres", "postgres", "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void sql(String db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", "")) {
            c.createStatement().execute(sql);
        }
    }

    private static int count(String sql) throws SQLException {
        return count("postgres", sql);
    }

    private static int count(String db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", "");
             var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
