package io.opsflow.platform.housekeeping;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.step.exec.StepLogs;

/** A run's step logs are removed once its history is gone, never while it runs or is in the history. */
class StepLogRetentionTest {
    @TempDir
    Path root;

    @Test
    void onlyTheLogsOfRunsWhoseHistoryIsGoneAreSwept() throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(new DriverManagerDataSource(
                "jdbc:h2:mem:steplogs-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", ""));
        jdbc.execute("CREATE TABLE ACT_HI_PROCINST (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
        jdbc.execute("CREATE TABLE ACT_RU_EXECUTION (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
        jdbc.update("INSERT INTO ACT_HI_PROCINST VALUES ('finished', 'finished')");
        jdbc.update("INSERT INTO ACT_RU_EXECUTION VALUES ('running', 'running')");
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        Instant old = now.minus(Duration.ofDays(40));
        for (String run : new String[] {"finished", "running", "cleaned-up", "just-started"}) {
            Path log = Files.createDirectories(root.resolve(run)).resolve("Task_X:1.log");
            Files.writeString(log, "step output of " + run);
            Files.setLastModifiedTime(log, FileTime.from(run.equals("just-started") ? now : old));
        }
        Files.writeString(root.resolve("not-a-run.txt"), "left alone");

        StepLogRetention retention = new StepLogRetention(new StepLogs(root.toString()), jdbc, Duration.ofDays(1));
        assertThat(retention.sweep(now)).containsExactly("cleaned-up");

        assertThat(root.resolve("cleaned-up")).doesNotExist();
        assertThat(root.resolve("finished/Task_X:1.log")).as("still in the history").exists();
        assertThat(root.resolve("running/Task_X:1.log")).as("still running").exists();
        assertThat(root.resolve("just-started/Task_X:1.log")).as("too young to tell").exists();
        assertThat(root.resolve("not-a-run.txt")).exists();
        assertThat(retention.sweep(now)).as("nothing left to sweep").isEmpty();
    }

    @Test
    void stepLogsInTheDatabaseGoWithTheirRunsHistoryToo() {
        DriverManagerDataSource ds = new DriverManagerDataSource(
                "jdbc:h2:mem:steplogs-db-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "");
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        jdbc.execute("CREATE TABLE ACT_HI_PROCINST (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
        jdbc.execute("CREATE TABLE ACT_RU_EXECUTION (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
        jdbc.update("INSERT INTO ACT_HI_PROCINST VALUES ('finished', 'finished')");
        jdbc.update("INSERT INTO ACT_RU_EXECUTION VALUES ('running', 'running')");
        StepLogs logs = new StepLogs(ds, root.toString(), Duration.ofSeconds(1));
        for (String run : new String[] {"finished", "running", "cleaned-up"}) {
            try (io.opsflow.step.exec.StepLog log = logs.open(run, "Task_X:1", "Task_X")) {
                log.line("out", "step output of " + run);
            }
        }
        StepLogRetention retention = new StepLogRetention(logs, jdbc, Duration.ofDays(1));
        assertThat(retention.sweep(Instant.now())).as("too young to tell").isEmpty();
        Instant later = Instant.now().plus(Duration.ofDays(2));
        assertThat(retention.sweep(later)).containsExactly("cleaned-up");
        assertThat(logs.list("cleaned-up")).isEmpty();
        assertThat(logs.list("finished")).as("still in the history").hasSize(1);
        assertThat(logs.list("running")).as("still running").hasSize(1);
    }
}
