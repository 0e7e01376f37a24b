package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.opsflow.testsupport.PrivatePostgres;

/**
 * Kill -9 a node in the middle of a long step: two engine nodes on one PostgreSQL — node A a JVM of its own, node B
 * this test's application — and a run whose long step node A is executing. Node A is killed with SIGKILL; node B
 * resumes the step once A's lease (the job's lock, no longer heartbeated) has run out, the step runs again once, the
 * run finishes, and nothing A had done in the killed step is committed. The time from the kill to the step running
 * again on B is measured (goal: at most the lock time + 30 s) and printed.
 */
class ClusterFailoverIT {
    static final long LOCK_MILLIS = 8000;

    @Test
    void aNodeKilledInTheMiddleOfALongStepIsReplacedByTheOtherNode(@TempDir Path tmp) throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.start()) {
            List<String> common = List.of("--spring.profiles.active=postgres", "--opsflow.sandbox.enabled=false",
                    "--spring.datasource.url=" + pg.jdbcUrl(), "--spring.datasource.username=postgres",
                    "--spring.datasource.password=", "--camunda.bpm.job-execution.wait-time-in-millis=200",
                    "--camunda.bpm.job-execution.max-wait=1000",
                    "--camunda.bpm.job-execution.lock-time-in-millis=" + LOCK_MILLIS);
            // node B first (it creates the schema and deploys), its job executor off until node A is dead
            try (ConfigurableApplicationContext nodeB = PersistenceIT.boot(new String[] {"postgres"},
                    "opsflow.var-dir=" + tmp.resolve("b"), "spring.datasource.url=" + pg.jdbcUrl(),
                    "spring.datasource.username=postgres", "spring.datasource.password=",
                    "camunda.bpm.job-execution.enabled=false",
                    "camunda.bpm.job-execution.lock-time-in-millis=" + LOCK_MILLIS)) {
                RuntimeService runtime = nodeB.getBean(RuntimeService.class);
                HistoryService history = nodeB.getBean(HistoryService.class);
                JdbcTemplate jdbc = new JdbcTemplate(nodeB.getBean(javax.sql.DataSource.class));
                String pi = runtime.startProcessInstanceByKey("failover-sample", Map.of("stepMillis", 20000)).getId();

                Process nodeA = startNodeA(tmp, common);
                Instant killedAt;
                try {
                    DatabaseOutageIT.waitFor(Duration.ofSeconds(120), () -> jdbc.queryForObject(
                            "SELECT COUNT(*) FROM ACT_RU_JOB WHERE PROCESS_INSTANCE_ID_ = ? AND LOCK_OWNER_ IS NOT NULL",
                            Integer.class, pi) == 1, "node A to take the long step");
                    Thread.sleep(LOCK_MILLIS / 2); // well inside the step, a heartbeat or two later
                    assertThat(nodeA.isAlive()).as("node A running").isTrue();
                } finally {
                    nodeA.destroyForcibly(); // SIGKILL
                    nodeA.waitFor();
                    killedAt = Instant.now();
                    List<String> lines = Files.readAllLines(tmp.resolve("node-a.log"));
                    System.out.println("node A's log (last lines):\n"
                            + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
                }
                assertThat(runtime.getActiveActivityIds(pi)).as("the killed step committed nothing")
                        .containsExactly("Task_Long");

                ((ProcessEngineConfigurationImpl) nodeB.getBean(org.camunda.bpm.engine.ProcessEngine.class)
                        .getProcessEngineConfiguration()).getJobExecutor().start();
                DatabaseOutageIT.waitFor(Duration.ofSeconds(LOCK_MILLIS / 1000 + 60), () -> !SlowStepStarts.none(pi),
                        "node B to run the long step again");
                Instant resumedAt = SlowStepStarts.first(pi);
                DatabaseOutageIT.waitFor(Duration.ofSeconds(90),
                        () -> runtime.createProcessInstanceQuery().processInstanceId(pi).count() == 0,
                        "the run to finish on node B");
                Instant endedAt = Instant.now();

                Duration resume = Duration.between(killedAt, resumedAt);
                System.out.printf("ClusterFailoverIT: lock time %d ms; kill -> step running again on node B %d ms; "
                        + "kill -> run ended %d ms%n", LOCK_MILLIS, resume.toMillis(),
                        Duration.between(killedAt, endedAt).toMillis());
                assertThat(resume).as("resume within lock time + 30 s")
                        .isLessThanOrEqualTo(Duration.ofMillis(LOCK_MILLIS).plusSeconds(30));
                List<HistoricActivityInstance> done = history.createHistoricActivityInstanceQuery().processInstanceId(pi)
                        .activityId("Task_Long").finished().list();
                assertThat(done).as("the long step recorded done once").hasSize(1);
                assertThat(history.createHistoricProcessInstanceQuery().processInstanceId(pi).singleResult()
                        .getEndActivityId()).isEqualTo("EndEvent_Done");
                assertThat(runtime.createIncidentQuery().count()).isZero();
            }
        }
    }

    /**
     * One long step kind: the runbook and its start variables, the step node A is killed in, when it is "in the
     * middle" (the step has begun acting on the fleet), and what the run must report and the hosts must show.
     */
    record Kind(String name, String runbook, Object[] vars, String step, int stepRuns, List<String> once,
                String endActivity, String hold) {
    }

    /** The staging application database the sandbox creates on the local PostgreSQL (application.yaml). */
    static final String APPDB = "jdbc:postgresql://127.0.0.1:5432/opsflow_staging_app";

    static final List<Kind> KINDS = List.of(
            new Kind("release batch activation", "release-version", new Object[] {"environment", "staging",
                    "application", "webapp", "version", "1.1.0", "strategy", "rolling", "batchSize", 1, "reason",
                    "CHG-12: kill -9 in the activation"}, "Task_ActivateBatch", 2, List.of("Task_GatherEvidence"),
                    null, "slow-requests"),
            new Kind("rolling restart", "restart-platform", new Object[] {"environment", "staging", "batchSize", 1,
                    "reason", "CHG-12: kill -9 in the drain"}, "Task_DrainBatch", 2, List.of("Task_PlanRestart"),
                    "Event_EndRestarted", "slow-requests"),
            new Kind("backup dump", "backup", new Object[] {"environment", "staging", "target", "appdb", "reason",
                    "CHG-12: kill -9 in the dump"}, "Task_Dump", 1, List.of("Task_Plan"), null, "table-lock"),
            // restores the backup the dump kind made (the catalog lives in this test's PostgreSQL)
            new Kind("restore", "restore", new Object[] {"environment", "staging", "backupId", "latest", "targetKind",
                    "original", "target", "appdb", "reason", "CHG-12: kill -9 in the restore"}, "Task_Restore", 1,
                    List.of("Task_Resolve", "Task_Stage", "Task_StopWriters"), "Event_Restored", "template-lock"),
            new Kind("migration", "migrate-database", new Object[] {"environment", "staging", "application", "webapp",
                    "version", "1.2.0", "reason", "CHG-12: kill -9 in the migration"}, "Task_Run", 1,
                    List.of("Task_Plan", "Task_Begin"), "Event_Migrated", "items-lock"),
            new Kind("Terraform apply", "provision-infrastructure", new Object[] {"environment", "staging", "action",
                    "apply", "hostCount", 2, "reason", "CHG-12: kill -9 in the apply"}, "Task_TerraformApply", 1,
                    List.of("Task_TerraformInit", "Task_TerraformPlan"), null, "slow-apply"));

    /** The Terraform CLI double (src/test/resources/terraform-double) and its delay per resource change in an apply:
     * two hosts to adopt make an apply of about 2 x {@value #APPLY_DELAY} s. */
    static final Path TF_DOUBLE = Path.of("src/test/resources/terraform-double/terraform").toAbsolutePath();
    static final int APPLY_DELAY = 8;

    /** What makes a step long (test configuration and the sandbox's own features only), and when it is "in the
     * middle". */
    interface Hold extends AutoCloseable {
        boolean inTheMiddle();

        /** Node B has taken the step over: let it finish. */
        default void release() {
        }

        /** Released as soon as node A is dead, before node B may take the step: node A's commands on the database
         * that outlived it (their shell died with the SSH connection, they did not) finish first, so node B's attempt
         * meets what they left behind. */
        default boolean releaseAtKill() {
            return false;
        }

        @Override
        void close();
    }

    /** One slow request in flight on every staging instance: a drain waits for it. */
    static Hold slowRequests(io.opsflow.environments.Environments environments) {
        String lbApi = environments.get("staging").loadBalancer().apiUrl();
        var slow = io.opsflow.testsupport.SlowRequests.inFlight(environments.get("staging").loadBalancer().url(),
                environments.get("staging").hosts().size(), 60);
        return new Hold() {
            public boolean inTheMiddle() {
                return draining(lbApi);
            }

            public void close() {
                slow.forEach(java.util.concurrent.CompletableFuture::join); // answered, not cut off by the drains
            }
        };
    }

    /** A transaction holding an exclusive lock on a table of the staging database: pg_dump waits for it (it waits at
     * most --lock-wait-timeout, 60 s, in workers/db-backup-postgres.sh). Row 1 of the table, committed before, is in
     * the dump (what the restore kind must bring back). */
    static Hold tableLock() throws java.sql.SQLException {
        appDb("CREATE TABLE IF NOT EXISTS cluster_failover_probe (id INT PRIMARY KEY)",
                "DELETE FROM cluster_failover_probe", "INSERT INTO cluster_failover_probe VALUES (1)");
        return dbLock("opsflow_staging_app", "LOCK TABLE cluster_failover_probe IN ACCESS EXCLUSIVE MODE",
                "opsflow_staging_app", () -> true);
    }

    /** Row 2 written after the backup (the restore must remove it), then a transaction holding a lock on the database
     * template1: the restore (--recreate) drops the staging database, then its CREATE DATABASE waits for the lock —
     * node A is killed with the database gone. */
    static Hold templateLock() throws java.sql.SQLException {
        appDb("INSERT INTO cluster_failover_probe VALUES (2)");
        return dbLock("postgres", "COMMENT ON DATABASE template1 IS NULL", "postgres", () -> !appDbExists());
    }

    /** The staging database at webapp 1.0.0 (001 applied, as db-migrate.sh records it), then a transaction reading
     * table items: migrating to 1.2.0 (002 alters items, 003 creates orders) waits in 002's ALTER TABLE. */
    static Hold itemsLock() throws Exception {
        Path m001 = Path.of("src/main/resources/sandbox/apps/webapp/versions/1.0.0/migrations/001_create_items.sql");
        appDb("DROP TABLE IF EXISTS orders, items, opsflow_schema_history", Files.readString(m001),
                "CREATE TABLE opsflow_schema_history (script VARCHAR(200) NOT NULL PRIMARY KEY, sha256 CHAR(64) NOT "
                        + "NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
                "INSERT INTO opsflow_schema_history (script, sha256) VALUES ('001_create_items.sql', '"
                        + sha256(m001) + "')");
        return dbLock("opsflow_staging_app", "LOCK TABLE items IN ACCESS SHARE MODE", "opsflow_staging_app",
                () -> true);
    }

    /** A transaction on {@code database} that ran {@code sql} and holds its locks; "in the middle" once a worker
     * session waits for a lock in {@code waitingIn} and {@code also} holds. Released at the kill. */
    static Hold dbLock(String database, String sql, String waitingIn, java.util.function.BooleanSupplier also)
            throws java.sql.SQLException {
        java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + database,
                "postgres", "");
        c.setAutoCommit(false);
        try (var st = c.createStatement()) {
            st.execute(sql);
        }
        return new Hold() {
            public boolean inTheMiddle() {
                return workersWaiting(waitingIn) > 0 && also.getAsBoolean();
            }

            public boolean releaseAtKill() {
                return true;
            }

            public void release() {
                close();
            }

            public void close() {
                try {
                    if (!c.isClosed()) {
                        c.rollback();
                        c.close();
                    }
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** The apply of the Terraform double, slowed down ({@value #APPLY_DELAY} s per resource), is in the middle once
     * the first of the two hosts is in the state. */
    static Hold slowApply(Path tfRoot) {
        return new Hold() {
            public boolean inTheMiddle() {
                return tfHostIds(tfRoot).size() == 1;
            }

            public void close() {
            }
        };
    }

    /** The ids of the hosts in the Terraform state of {@code root}, in index order. */
    static List<String> tfHostIds(Path root) {
        Path state = root.resolve("terraform.tfstate");
        List<String> ids = new ArrayList<>();
        try {
            if (!Files.exists(state)) {
                return ids;
            }
            for (var r : new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.toFile()).path("resources")) {
                for (var i : r.path("instances")) {
                    ids.add(i.path("attributes").path("id").asText());
                }
            }
        } catch (java.io.IOException e) {
            return List.of(); // being replaced: read it again
        }
        return ids;
    }

    /** Runs statements on the staging database, each committed. */
    static void appDb(String... sql) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(APPDB, "postgres", "");
             var st = c.createStatement()) {
            for (String q : sql) {
                st.execute(q);
            }
        }
    }

    static boolean appDbExists() {
        return pgCount("SELECT COUNT(*) FROM pg_database WHERE datname = 'opsflow_staging_app'") > 0;
    }

    /** Sessions of the workers (PGAPPNAME opsflow-workers: pg_dump, createdb, psql) on {@code database} waiting for a
     * lock. */
    static int workersWaiting(String database) {
        return pgCount("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + database + "' AND "
                + "application_name = 'opsflow-workers' AND wait_event_type = 'Lock'");
    }

    /** Sessions of the workers on the staging database or the maintenance database. */
    static int workerSessions() {
        return pgCount("SELECT COUNT(*) FROM pg_stat_activity WHERE datname IN ('opsflow_staging_app', 'postgres') "
                + "AND application_name = 'opsflow-workers'");
    }

    private static int pgCount(String sql) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres",
                "postgres", ""); var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Kill -9 in each long step kind: the sandbox fleet a process of its own, node A a JVM of its own, node B this
     * test's application, one PostgreSQL; node B's job executor is off until node A is dead. A step is long through
     * test configuration and sandbox features only ({@link Hold}): a slow request (the sandbox webapp's {@code /work},
     * 60 s) in flight on every instance holds the drains (drain wait 90 s), a table lock holds the dump. Node A is
     * killed in the middle of the step; node B resumes it after the lock time and finishes the run. Prints kill ->
     * step resumed (B's activity instance of the step) and kill -> run ended per kind. About 8 min (a node A boots
     * per kind, about a minute each on a loaded 2-core machine).
     */
    @Test
    void killNineInEachLongStepKind(@TempDir Path tmp) throws Exception {
        io.opsflow.testsupport.RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        List<String> report = new ArrayList<>();
        try (PrivatePostgres pg = PrivatePostgres.start();
             io.opsflow.testsupport.FleetProcess fleet = io.opsflow.testsupport.FleetProcess.start(tmp.resolve("fleet"))) {
            List<String> common = new ArrayList<>(List.of("spring.datasource.url=" + pg.jdbcUrl(),
                    "spring.datasource.username=postgres", "spring.datasource.password=",
                    "camunda.bpm.job-execution.wait-time-in-millis=200", "camunda.bpm.job-execution.max-wait=1000",
                    "camunda.bpm.job-execution.lock-time-in-millis=" + LOCK_MILLIS,
                    "opsflow.release.drain-wait=PT90S", "opsflow.restart.drain-wait=PT90S",
                    "opsflow.release.start-health-timeout=PT5S",
                    // the one location nodes share besides the database (docs/RELIABILITY.md)
                    "opsflow.backup.offsite.directory=" + tmp.resolve("offsite"),
                    // a copy of the Terraform roots (their state never lands in the working tree), the CLI double slowed
                    // down; nodes share the roots' directory as they would a remote state backend
                    "opsflow.terraform.dir=" + copyTree(Path.of("terraform").toAbsolutePath(), tmp.resolve("terraform")),
                    "opsflow.terraform.binary=" + TF_DOUBLE,
                    "opsflow.terraform.env.TF_DOUBLE_APPLY_DELAY=" + APPLY_DELAY));
            TF_DOUBLE.toFile().setExecutable(true);
            common.addAll(fleet.engineArgs());
            List<String> bArgs = new ArrayList<>(common);
            bArgs.add("opsflow.var-dir=" + tmp.resolve("b"));
            bArgs.add("camunda.bpm.job-execution.enabled=false");
            try (ConfigurableApplicationContext nodeB = PersistenceIT.boot(new String[] {"postgres"},
                    bArgs.toArray(String[]::new))) {
                org.camunda.bpm.engine.ProcessEngine engine = nodeB.getBean(org.camunda.bpm.engine.ProcessEngine.class);
                org.camunda.bpm.engine.impl.jobexecutor.JobExecutor bExecutor = ((ProcessEngineConfigurationImpl) engine
                        .getProcessEngineConfiguration()).getJobExecutor();
                JdbcTemplate jdbc = new JdbcTemplate(nodeB.getBean(javax.sql.DataSource.class));
                io.opsflow.environments.Environments environments = nodeB.getBean(
                        io.opsflow.environments.Environments.class);
                int port = nodeB.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
                List<String> aArgs = common.stream().map(a -> "--" + a).collect(java.util.stream.Collectors
                        .toCollection(ArrayList::new));
                aArgs.add("--spring.profiles.active=postgres");
                // node A runs in a directory of its own: the repository's scripts by absolute path
                for (String d : List.of("workers", "ansible")) {
                    aArgs.add("--opsflow." + d + ".dir=" + Path.of(d).toAbsolutePath());
                }
                // -DclusterFailover.kinds=Task_Dump,… runs some kinds only (while working on one)
                // (the restore kind restores the dump kind's backup: Task_Restore brings Task_Dump along)
                String only = System.getProperty("clusterFailover.kinds", "");
                List<String> steps = new ArrayList<>(List.of(only.split(",")));
                if (steps.contains("Task_Restore")) {
                    steps.add("Task_Dump");
                }
                for (Kind kind : KINDS.stream().filter(k -> only.isBlank() || steps.contains(k.step())).toList()) {
                    report.add(killInTheMiddle(kind, tmp, aArgs, engine, bExecutor, jdbc, environments, port));
                }
            }
        } finally {
            report.forEach(System.out::println);
        }
    }

    private String killInTheMiddle(Kind kind, Path tmp, List<String> aArgs, org.camunda.bpm.engine.ProcessEngine engine,
                                   org.camunda.bpm.engine.impl.jobexecutor.JobExecutor bExecutor, JdbcTemplate jdbc,
                                   io.opsflow.environments.Environments environments, int port) throws Exception {
        String name = "node-a-" + kind.step();
        Process nodeA = startNodeA(tmp, aArgs, name);
        String lbApi = environments.get("staging").loadBalancer().apiUrl();
        String pi;
        Instant killedAt;
        List<String> doneBeforeKill;
        Hold hold = null;
        try {
            awaitLog(tmp.resolve(name + ".log"), "Started OpsflowApplication", nodeA);
            // in place before the run starts: the steps before the long one take seconds, and a job at the long step
            // is picked up at once by the thread that ran them
            Path tfRoot = tmp.resolve("terraform/environments/sandbox-staging");
            hold = switch (kind.hold()) {
                case "table-lock" -> tableLock();
                case "template-lock" -> templateLock();
                case "items-lock" -> itemsLock();
                case "slow-apply" -> slowApply(tfRoot);
                default -> slowRequests(environments);
            };
            pi = io.opsflow.testsupport.SandboxApp.start(io.opsflow.testsupport.RestClient.as(port, "operator"),
                    kind.runbook(), kind.vars());
            String run = pi;
            Hold h = hold;
            DatabaseOutageIT.waitFor(Duration.ofSeconds(120), () -> !lockOwner(jdbc, run, kind.step()).isEmpty()
                    && h.inTheMiddle(), "node A in the middle of " + kind.step() + " (" + kind.name() + ")");
            assertThat(nodeA.isAlive()).as("node A running").isTrue();
            doneBeforeKill = engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                    .finished().list().stream().map(HistoricActivityInstance::getId).toList();
        } catch (Exception | AssertionError e) {
            System.out.println(name + "'s log (last lines):\n" + tail(tmp.resolve(name + ".log")));
            if (hold != null) {
                hold.close();
            }
            throw e;
        } finally {
            // the node dies with the commands it runs (Terraform): SIGKILL to the JVM, then to its children
            List<ProcessHandle> children = nodeA.descendants().toList();
            nodeA.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            nodeA.waitFor();
            killedAt = Instant.now();
        }
        String run = pi;
        List<String> tfIdsAtKill = tfHostIds(tmp.resolve("terraform/environments/sandbox-staging"));
        if ("slow-apply".equals(kind.hold())) {
            assertThat(tmp.resolve("terraform/environments/sandbox-staging/.terraform.tfstate.lock.info"))
                    .as("like Terraform, the killed apply left its lock info (its lock died with it)").exists();
        }
        if (hold.releaseAtKill()) {
            hold.release();
            DatabaseOutageIT.waitFor(Duration.ofSeconds(70), () -> workerSessions() == 0,
                    "node A's commands that outlived it to end on the database");
        }
        String bOwner = bExecutor.getLockOwner();
        bExecutor.start();
        Instant endedAt;
        try (Hold h = hold) {
            DatabaseOutageIT.waitFor(Duration.ofSeconds(LOCK_MILLIS / 1000 + 60), () -> bOwner.equals(
                    lockOwner(jdbc, run, kind.step())) || engine.getRuntimeService().createProcessInstanceQuery()
                    .processInstanceId(run).count() == 0, "node B to take " + kind.step() + " over");
            h.release();
            io.opsflow.testsupport.SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(4));
            endedAt = Instant.now();
        } finally {
            bExecutor.shutdown(); // off for the next kind, whose steps node A must take
        }
        // the step started again on node B: its first activity instance after the kill (node A's attempt never
        // committed, so history has none of it)
        Instant killed = killedAt;
        Instant resumedAt = engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                .activityId(kind.step()).list().stream().map(a -> a.getStartTime().toInstant())
                .filter(t -> t.isAfter(killed)).min(Instant::compareTo).orElseThrow();

        HistoryService history = engine.getHistoryService();
        List<HistoricActivityInstance> all = history.createHistoricActivityInstanceQuery().processInstanceId(pi)
                .finished().list();
        assertThat(all).extracting(HistoricActivityInstance::getId).as("what was done before the kill stays done")
                .containsAll(doneBeforeKill);
        for (String once : kind.once()) {
            assertThat(all).filteredOn(a -> a.getActivityId().equals(once)).as(once + " not run again").hasSize(1);
        }
        assertThat(all).filteredOn(a -> a.getActivityId().equals(kind.step()))
                .as(kind.step() + " recorded done once per batch").hasSize(kind.stepRuns());
        if (kind.endActivity() != null) {
            assertThat(history.createHistoricProcessInstanceQuery().processInstanceId(pi).singleResult()
                    .getEndActivityId()).isEqualTo(kind.endActivity());
        } else {
            assertThat(io.opsflow.testsupport.SandboxApp.var(engine, pi, "outcome")).isEqualTo("SUCCEEDED");
        }
        switch (kind.runbook()) {
            case "backup" -> assertBackedUpAsReported(pi, jdbc, tmp);
            case "restore" -> {
                assertRestoredAsReported(pi, engine);
                assertHostsAsReported(kind, pi, engine, environments, lbApi);
            }
            case "migrate-database" -> assertMigratedAsReported();
            case "provision-infrastructure" -> assertProvisionedAsReported(pi, jdbc, tmp, tfIdsAtKill);
            default -> assertHostsAsReported(kind, pi, engine, environments, lbApi);
        }
        String line = String.format("ClusterFailoverIT %s (%s): lock time %d ms; kill -> step resumed on node B %d ms;"
                + " kill -> run ended %d ms", kind.name(), kind.step(), LOCK_MILLIS,
                Duration.between(killedAt, resumedAt).toMillis(), Duration.between(killedAt, endedAt).toMillis());
        System.out.println(line);
        assertThat(Duration.between(killedAt, resumedAt)).as("resume within lock time + 30 s")
                .isLessThanOrEqualTo(Duration.ofMillis(LOCK_MILLIS).plusSeconds(30));
        return line;
    }

    /** The hosts read where they are: every instance of the active colour answers on its own port, through a pool
     * whose backends are all back in service; a release's hosts serve what the run recorded in hostsAfter. */
    private static void assertHostsAsReported(Kind kind, String pi, org.camunda.bpm.engine.ProcessEngine engine,
                                              io.opsflow.environments.Environments environments, String lbApi) {
        com.fasterxml.jackson.databind.JsonNode pool = io.opsflow.testsupport.RestClient.anonymous(0)
                .getAbsolute(lbApi + "/_lb/pools").json().path("pools").path("webapp");
        String colour = pool.path("active").isTextual() ? pool.path("active").asText() : "blue";
        Map<String, String> served = new java.util.LinkedHashMap<>();
        for (io.opsflow.environments.HostConfig h : environments.get("staging").hosts()) {
            served.put(h.name(), io.opsflow.testsupport.RestClient.versionAt("http://" + h.address() + ":"
                    + environments.instancePort(h, "webapp", colour)));
        }
        assertThat(pool.path("backends")).as(pool.toString()).allSatisfy(b -> {
            if (b.path("color").asText().equals(colour)) {
                assertThat(b.path("state").asText()).isEqualTo("active");
                assertThat(b.path("healthy").asBoolean()).isTrue();
            }
        });
        if (kind.runbook().equals("release-version")) {
            assertThat(served).isEqualTo(io.opsflow.release.ReleaseJson.versions(
                    (String) io.opsflow.testsupport.SandboxApp.var(engine, pi, "hostsAfter")));
            assertThat(served.values()).containsOnly("1.1.0");
        } else {
            assertThat(served.values()).as("every instance answers after the restart").doesNotContain("down")
                    .doesNotContainNull();
        }
    }

    /** One catalog entry for the run, its file in the offsite store with the recorded checksum; no pg_dump left
     * running (node A's included, once the lock is gone) and no finished dump left in a host's staging directory. */
    private static void assertBackedUpAsReported(String pi, JdbcTemplate jdbc, Path tmp) throws Exception {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT SHA256_, VERIFIED_ FROM OPSFLOW_BACKUP WHERE "
                + "PROC_INST_ID_ = ?", pi);
        assertThat(rows).as("one backup recorded").hasSize(1);
        String sha = (String) rows.get(0).get("SHA256_");
        List<String> offsite;
        try (var files = Files.walk(tmp.resolve("offsite"))) {
            offsite = files.filter(Files::isRegularFile).map(ClusterFailoverIT::sha256).toList();
        }
        assertThat(offsite).as("the recorded dump in the offsite store").contains(sha);
        DatabaseOutageIT.waitFor(Duration.ofSeconds(70), () -> {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(APPDB, "postgres", "");
                 var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM pg_stat_activity WHERE "
                         + "datname = 'opsflow_staging_app' AND application_name = 'opsflow-workers'")) {
                rs.next();
                return rs.getInt(1) == 0;
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, "no pg_dump left on the staging database");
        List<Path> left;
        try (var files = Files.walk(tmp.resolve("fleet/hosts"))) {
            left = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/.opsflow/backups/")).toList();
        }
        // node A's pg_dump outlived the SSH connection that the kill cut (its shell died, pg_dump did not) and finished
        // into its partial file once the lock was released, before node B took the step: B's dump swept it
        // (RemoteBackupOperations, workers/lib/output.sh open_partial), and B's own dump is removed with the run
        assertThat(left).as("partial or finished dumps left on the hosts").isEmpty();
    }

    /** The staging database holds what the backup held: row 1 of the probe table, not row 2 written after it; the
     * run's evidence names the backup it restored. */
    private static void assertRestoredAsReported(String pi, org.camunda.bpm.engine.ProcessEngine engine)
            throws Exception {
        List<Integer> ids = new ArrayList<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(APPDB, "postgres", "");
             var rs = c.createStatement().executeQuery("SELECT id FROM cluster_failover_probe ORDER BY id")) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        assertThat(ids).as("the staging database as the backup held it").containsExactly(1);
        assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                .activityId("Task_Verify").finished().count()).as("the restore verified").isOne();
    }

    /** The staging database's schema history, read on the database: 001 (before), 002 and 003, each once; 002's
     * column and 003's table are there. */
    private static void assertMigratedAsReported() throws Exception {
        List<String> scripts = new ArrayList<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(APPDB, "postgres", "");
             var st = c.createStatement()) {
            try (var rs = st.executeQuery("SELECT script FROM opsflow_schema_history ORDER BY script")) {
                while (rs.next()) {
                    scripts.add(rs.getString(1));
                }
            }
            try (var rs = st.executeQuery("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'items' "
                    + "AND column_name = 'price_cents'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("002's column").isOne();
            }
            try (var rs = st.executeQuery("SELECT COUNT(*) FROM orders")) {
                rs.next(); // 003's table exists
            }
        }
        assertThat(scripts).containsExactly("001_create_items.sql", "002_items_add_price.sql", "003_create_orders.sql");
    }

    /** The Terraform state the double holds, read in the root: the two hosts, the one node A created not created
     * again (same id), no lock left; the run's plan marked applied. */
    private static void assertProvisionedAsReported(String pi, JdbcTemplate jdbc, Path tmp, List<String> idsAtKill)
            throws Exception {
        Path root = tmp.resolve("terraform/environments/sandbox-staging");
        List<String> ids = tfHostIds(root);
        assertThat(idsAtKill).as("node A created one host before the kill").hasSize(1);
        assertThat(ids).as("both hosts in the state; node A's not created again").hasSize(2).first()
                .isEqualTo(idsAtKill.get(0));
        var outputs = new com.fasterxml.jackson.databind.ObjectMapper().readTree(root.resolve("terraform.tfstate")
                .toFile()).path("outputs");
        assertThat(outputs.path("host_count").path("value").asInt()).isEqualTo(2);
        assertThat(root.resolve(".terraform.tfstate.lock.info")).as("no state lock left").doesNotExist();
        assertThat(jdbc.queryForList("SELECT APPLIED_AT_ FROM OPSFLOW_TF_PLAN WHERE PROC_INST_ID_ = ?", pi))
                .as("the run's plan marked applied").hasSize(1).allSatisfy(r -> assertThat(r.get("APPLIED_AT_"))
                        .isNotNull());
    }

    private static String copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                String rel = from.relativize(f).toString();
                Path t = to.resolve(rel);
                if (rel.contains(".terraform") || rel.contains("terraform.tfstate")) {
                    continue; // a local init or state of the working tree
                }
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
        return to.toString();
    }

    private static String sha256(Path f) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(f)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Who holds the job of {@code activity} in run {@code pi} ("" when nobody). */
    private static String lockOwner(JdbcTemplate jdbc, String pi, String activity) {
        List<String> owners = jdbc.queryForList("SELECT j.LOCK_OWNER_ FROM ACT_RU_JOB j JOIN ACT_RU_JOBDEF d ON "
                + "d.ID_ = j.JOB_DEF_ID_ WHERE j.PROCESS_INSTANCE_ID_ = ? AND d.ACT_ID_ = ? AND j.LOCK_OWNER_ IS NOT NULL",
                String.class, pi, activity);
        return owners.isEmpty() ? "" : owners.get(0);
    }

    /** A backend of the webapp pool is drained while a request is in flight on it: a drain is waiting. */
    private static boolean draining(String lbApi) {
        for (com.fasterxml.jackson.databind.JsonNode b : io.opsflow.testsupport.RestClient.anonymous(0)
                .getAbsolute(lbApi + "/_lb/pools").json().path("pools").path("webapp").path("backends")) {
            if (b.path("state").asText().equals("drained") && b.path("inFlight").asInt() > 0) {
                return true;
            }
        }
        return false;
    }

    private static void awaitLog(Path log, String line, Process p) throws InterruptedException {
        DatabaseOutageIT.waitFor(Duration.ofSeconds(180), () -> {
            if (!p.isAlive()) {
                throw new AssertionError("node A exited: " + tail(log));
            }
            try {
                return Files.exists(log) && Files.readString(log).contains(line);
            } catch (java.io.IOException e) {
                return false;
            }
        }, "node A to start");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.startsWith("\tat ")).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** Node A: the same application in a JVM of its own (the test's class path), its job executor on. */
    static Process startNodeA(Path tmp, List<String> common) throws Exception {
        return startNodeA(tmp, common, "node-a");
    }

    static Process startNodeA(Path tmp, List<String> common, String name) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "io.opsflow.OpsflowApplication"));
        argv.addAll(common);
        argv.add("--server.port=0");
        argv.add("--opsflow.var-dir=" + tmp.resolve("a"));
        Files.createDirectories(tmp.resolve("a"));
        File log = tmp.resolve(name + ".log").toFile();
        return new ProcessBuilder(argv).directory(tmp.resolve("a").toFile()).redirectErrorStream(true).redirectOutput(log)
                .start();
    }

    /** When this JVM's slowStep bean started a process instance's long step (node B's runs only). */
    static final class SlowStepStarts {
        static boolean none(String pi) {
            return io.opsflow.step.lease.SlowStep.firstStart(pi) == null;
        }

        static Instant first(String pi) {
            return io.opsflow.step.lease.SlowStep.firstStart(pi);
        }
    }
}
