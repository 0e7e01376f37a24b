package io.opsflow.platform.housekeeping;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RealComponent;

/**
 * The cluster property of step logs: two engine nodes on one PostgreSQL database, each with its own {@link StepLogs}
 * and its own connections (and its own, different, var dir). What node A writes, node B lists and reads while A is
 * still writing, and sees ended once A closed it; retention run on node B removes the logs of a run whose history is
 * gone, whichever node wrote them, and keeps the others. In a schema of its own.
 */
class StepLogsPostgresIT {
    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private final String schema = "steplogs_it_" + Long.toHexString(System.nanoTime());
    @TempDir
    Path tmp;
    private JdbcTemplate admin;
    private StepLogs nodeA;
    private StepLogs nodeB;
    private JdbcTemplate jdbcB;

    @BeforeEach
    void twoNodes() {
        boolean up;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(URL, "postgres", "")) {
            up = c.isValid(2);
        } catch (java.sql.SQLException e) {
            up = false;
        }
        RealComponent.available(up, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)");
        admin = new JdbcTemplate(new DriverManagerDataSource(URL, "postgres", ""));
        admin.execute("CREATE SCHEMA " + schema);
        DriverManagerDataSource a = new DriverManagerDataSource(URL + "?currentSchema=" + schema, "postgres", "");
        DriverManagerDataSource b = new DriverManagerDataSource(URL + "?currentSchema=" + schema, "postgres", "");
        nodeA = new StepLogs(a, tmp.resolve("node-a/logs").toString(), Duration.ofMillis(200));
        nodeB = new StepLogs(b, tmp.resolve("node-b/logs").toString(), Duration.ofMillis(200));
        jdbcB = new JdbcTemplate(b);
        jdbcB.execute("CREATE TABLE ACT_HI_PROCINST (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
        jdbcB.execute("CREATE TABLE ACT_RU_EXECUTION (ID_ VARCHAR(64), PROC_INST_ID_ VARCHAR(64))");
    }

    @AfterEach
    void drop() {
        if (admin != null) {
            admin.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    @Test
    void whatOneNodeWritesTheOtherListsAndReadsWhileItGrows() {
        long sent;
        try (StepLog log = nodeA.open("run-1", "Task_Apply:ai-1", "Task_Apply")) {
            for (int i = 1; i <= 2000; i++) {
                log.line("out", "plan line " + i);
            }
            await(() -> nodeB.read("run-1", "Task_Apply:ai-1", 0).map(t -> t.text().contains("plan line 2000"))
                    .orElse(false), "node B reads node A's lines");
            StepLogs.Text sofar = nodeB.read("run-1", "Task_Apply:ai-1", 0).orElseThrow();
            assertThat(sofar.ended()).as("A still writes").isFalse();
            assertThat(nodeB.list("run-1")).extracting(StepLogs.Entry::activityInstanceId)
                    .containsExactly("Task_Apply:ai-1");
            sent = sofar.nextOffset();
            log.line("err", "applied with 1 warning");
            await(() -> nodeB.read("run-1", "Task_Apply:ai-1", sent).map(t -> t.text().contains("1 warning"))
                    .orElse(false), "node B reads what came after");
        }
        StepLogs.Text rest = nodeB.read("run-1", "Task_Apply:ai-1", sent).orElseThrow();
        assertThat(rest.text()).endsWith("[err] applied with 1 warning\n");
        assertThat(rest.ended()).isTrue();
        StepLogs.Entry e = nodeB.entry("run-1", "Task_Apply:ai-1").orElseThrow();
        assertThat(e.bytes()).isEqualTo(rest.nextOffset());
        assertThat(nodeB.read("run-1", "Task_Apply:ai-1", 0).orElseThrow().text().lines()).hasSize(2002);
    }

    @Test
    void logWritesCommitWithoutWaitingForTheDiskAndOnlyTheirOwnTransactionsDo() throws Exception {
        DriverManagerDataSource real = new DriverManagerDataSource(URL + "?currentSchema=" + schema, "postgres", "");
        List<String> executed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        javax.sql.DataSource watched = new org.springframework.jdbc.datasource.DelegatingDataSource(real) {
            @Override
            public java.sql.Connection getConnection() throws java.sql.SQLException {
                java.sql.Connection c = super.getConnection();
                return (java.sql.Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {java.sql.Connection.class}, (proxy, m, args) -> {
                            Object r;
                            try {
                                r = m.invoke(c, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                            if (r instanceof java.sql.Statement st && m.getName().equals("createStatement")) {
                                return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                                        new Class<?>[] {java.sql.Statement.class}, (p2, m2, a2) -> {
                                            if (m2.getName().equals("execute")) {
                                                executed.add((String) a2[0]);
                                            }
                                            try {
                                                return m2.invoke(st, a2);
                                            } catch (java.lang.reflect.InvocationTargetException e) {
                                                throw e.getCause();
                                            }
                                        });
                            }
                            return r;
                        });
            }
        };
        StepLogs nodeC = new StepLogs(watched, tmp.resolve("node-c/logs").toString(), Duration.ofMillis(200));
        executed.clear(); // table creation
        try (StepLog log = nodeC.open("run-3", "Task_Fast:ai-1", "Task_Fast")) {
            log.line("out", "done");
        }
        // complete and visible to another node the moment close() returns
        StepLogs.Text t = nodeB.read("run-3", "Task_Fast:ai-1", 0).orElseThrow();
        assertThat(t.ended()).isTrue();
        assertThat(t.text()).endsWith("[out] done\n");
        // LOCAL: only the log's own transaction; the engine's transactions on the same pool commit synchronously
        assertThat(executed).isNotEmpty().allMatch(sql -> sql.equals("SET LOCAL synchronous_commit TO OFF"));
        nodeC.destroy();
    }

    @Test
    void retentionOnOneNodeRemovesTheLogsOfRunsWhoseHistoryIsGoneWhoeverWroteThem() {
        for (String run : new String[] {"finished", "running", "cleaned-up"}) {
            try (StepLog log = nodeA.open(run, "Task_X:1", "Task_X")) {
                log.line("out", "output of " + run);
            }
        }
        jdbcB.update("INSERT INTO ACT_HI_PROCINST VALUES ('finished', 'finished')");
        jdbcB.update("INSERT INTO ACT_RU_EXECUTION VALUES ('running', 'running')");
        StepLogRetention retention = new StepLogRetention(nodeB, jdbcB, Duration.ofDays(1));
        assertThat(retention.sweep(Instant.now())).as("all written just now: too young to tell").isEmpty();
        Instant later = Instant.now().plus(Duration.ofDays(2));
        assertThat(retention.sweep(later)).containsExactly("cleaned-up");
        assertThat(nodeA.list("cleaned-up")).isEmpty();
        assertThat(nodeA.read("cleaned-up", "Task_X:1", 0)).isEmpty();
        assertThat(nodeA.list("finished")).hasSize(1);
        assertThat(nodeA.list("running")).hasSize(1);
        assertThat(retention.sweep(later)).isEmpty();
    }

    static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
