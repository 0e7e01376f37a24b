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

    /** Node A: the same application in a JVM of its own (the test's class path), its job executor on. */
    static Process startNodeA(Path tmp, List<String> common) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "io.opsflow.OpsflowApplication"));
        argv.addAll(common);
        argv.add("--server.port=0");
        argv.add("--opsflow.var-dir=" + tmp.resolve("a"));
        Files.createDirectories(tmp.resolve("a"));
        File log = tmp.resolve("node-a.log").toFile();
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
