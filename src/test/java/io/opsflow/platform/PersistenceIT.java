package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.TaskService;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import io.opsflow.OpsflowApplication;
import io.opsflow.testsupport.RealComponent;

/** A runbook engine must not forget a running release: H2 file across a restart, and real PostgreSQL. */
class PersistenceIT {

    /** Boots the application; settings as command-line arguments (they win over application.yaml). */
    static ConfigurableApplicationContext boot(String... props) {
        return boot(new String[0], props);
    }

    static ConfigurableApplicationContext boot(String[] profiles, String... props) {
        // An engine name of its own: Camunda keeps engines in a static registry by name, and closing this context
        // would otherwise unregister "default" — the shared sandbox application's engine, whose webapps (Tasklist
        // login) then fail for every later test in this JVM.
        String[] args = java.util.stream.Stream.concat(
                java.util.stream.Stream.of("server.port=0", "opsflow.sandbox.enabled=false",
                        "camunda.bpm.process-engine-name=it-" + java.util.UUID.randomUUID().toString().substring(0, 8)),
                java.util.Arrays.stream(props)).map(p -> "--" + p).toArray(String[]::new);
        return new SpringApplicationBuilder(OpsflowApplication.class).profiles(profiles).run(args);
    }

    @Test
    void aRunWaitingForApprovalIsStillThereAfterARestart(@TempDir Path var) {
        String pi;
        try (ConfigurableApplicationContext app = boot("opsflow.var-dir=" + var,
                "camunda.bpm.job-execution.enabled=false")) {
            ProcessInstance started = app.getBean(RuntimeService.class).startProcessInstanceByKey("platform-sample",
                    Map.of("environment", "production", "application", "webapp", "version", "1.1.0",
                            "reason", "survive a restart"));
            pi = started.getId();
            assertThat(app.getBean(TaskService.class).createTaskQuery().processInstanceId(pi)
                    .taskDefinitionKey("Task_Approve").count()).isEqualTo(1);
        }
        assertThat(var.resolve("db/opsflow.mv.db")).exists();

        try (ConfigurableApplicationContext app = boot("opsflow.var-dir=" + var,
                "camunda.bpm.job-execution.enabled=false")) {
            RuntimeService runtime = app.getBean(RuntimeService.class);
            TaskService tasks = app.getBean(TaskService.class);
            assertThat(runtime.createProcessInstanceQuery().processInstanceId(pi).count()).isEqualTo(1);
            assertThat(runtime.getActiveActivityIds(pi)).containsExactly("Task_Approve");
            assertThat(runtime.getVariable(pi, "version")).isEqualTo("1.1.0");
            String task = tasks.createTaskQuery().processInstanceId(pi).singleResult().getId();
            // the approval record written before the restart is still there: an approver decides it
            io.opsflow.testsupport.Approve.as(app.getBean(org.camunda.bpm.engine.ProcessEngine.class), "approver2",
                    task, true, "after the restart");
            assertThat(runtime.createProcessInstanceQuery().processInstanceId(pi).count()).isZero();
        }
    }

    @Test
    void runsAProcessToCompletionOnRealPostgres(@TempDir Path var) {
        boolean reachable;
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "")) {
            reachable = c.isValid(2);
        } catch (Exception e) {
            reachable = false;
        }
        RealComponent.available(reachable, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)");

        try (ConfigurableApplicationContext app = boot(new String[] {"postgres"}, "opsflow.var-dir=" + var,
                "spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/test",
                "spring.datasource.username=postgres", "spring.datasource.password=",
                "camunda.bpm.job-execution.wait-time-in-millis=200")) {
            String url = app.getEnvironment().getProperty("spring.datasource.url");
            assertThat(url).startsWith("jdbc:postgresql:");
            RuntimeService runtime = app.getBean(RuntimeService.class);
            HistoryService history = app.getBean(HistoryService.class);
            String pi = runtime.startProcessInstanceByKey("platform-async").getId();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (runtime.createProcessInstanceQuery().processInstanceId(pi).count() > 0
                    && System.nanoTime() < deadline) {
                sleep(200);
            }
            assertThat(runtime.createProcessInstanceQuery().processInstanceId(pi).count())
                    .as("completed by the job executor on PostgreSQL").isZero();
            assertThat(history.createHistoricVariableInstanceQuery().processInstanceId(pi).variableName("workedBy")
                    .singleResult().getValue()).isEqualTo("job-executor");
            assertThat(history.createHistoricProcessInstanceQuery().processInstanceId(pi).singleResult()
                    .getEndTime()).isNotNull();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
