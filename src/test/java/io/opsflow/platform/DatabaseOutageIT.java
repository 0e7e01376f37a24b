package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import io.opsflow.testsupport.PrivatePostgres;

/**
 * The database goes away: PostgreSQL crashes while runs are in the middle of their steps and comes back. Health says
 * DOWN while it is gone and UP when it is back; every run then finishes, none is lost, none is started twice, and no
 * step is recorded as done twice (a step whose transaction died with the database runs again — the engine's
 * at-least-once — but only one execution of it commits).
 */
class DatabaseOutageIT {
    static final int RUNS = 24;
    static final String[] STEPS = {"Task_One", "Task_Two", "Task_Three"};

    @Test
    void runsSurviveAPostgresCrashNothingLostNothingDoneTwice(@TempDir Path var) throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.start();
             ConfigurableApplicationContext app = PersistenceIT.boot(new String[] {"postgres"},
                     "opsflow.var-dir=" + var, "spring.datasource.url=" + pg.jdbcUrl(),
                     "spring.datasource.username=postgres", "spring.datasource.password=",
                     // a dead database is noticed in seconds, not after Hikari's default 30 s
                     "spring.datasource.hikari.connection-timeout=2000",
                     "spring.datasource.hikari.validation-timeout=1000",
                     "camunda.bpm.job-execution.wait-time-in-millis=200",
                     "camunda.bpm.job-execution.max-wait=2000",
                     "camunda.bpm.job-execution.lock-time-in-millis=6000")) {
            RuntimeService runtime = app.getBean(RuntimeService.class);
            HistoryService history = app.getBean(HistoryService.class);
            String health = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port")
                    + "/actuator/health";
            assertThat(status(health)).isEqualTo("UP");

            List<String> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                runs.add(runtime.startProcessInstanceByKey("outage-sample", Map.of("stepMillis", 500)).getId());
            }
            // some runs are in the middle of their steps when the database dies
            waitFor(Duration.ofSeconds(60), () -> history.createHistoricActivityInstanceQuery()
                    .activityId("Task_One").finished().count() >= 4, "the first steps to finish");
            assertThat(runtime.createProcessInstanceQuery().count()).as("runs still in progress").isPositive();

            pg.crash();
            waitFor(Duration.ofSeconds(60), () -> "DOWN".equals(status(health)), "health DOWN while PostgreSQL is gone");
            Thread.sleep(3000); // jobs keep failing to reach it for a while

            pg.startServer();
            waitFor(Duration.ofSeconds(60), () -> "UP".equals(status(health)), "health UP once PostgreSQL is back");
            org.camunda.bpm.engine.ManagementService mgmt = app.getBean(org.camunda.bpm.engine.ManagementService.class);
            try {
                waitFor(Duration.ofSeconds(180), () -> runtime.createProcessInstanceQuery().count() == 0,
                        "every run to finish after the outage");
            } catch (AssertionError e) {
                org.springframework.jdbc.core.JdbcTemplate jdbc = new org.springframework.jdbc.core.JdbcTemplate(
                        app.getBean(javax.sql.DataSource.class));
                System.out.println("jobs left: " + jdbc.queryForList("SELECT ID_, RETRIES_, DUEDATE_, LOCK_OWNER_, "
                        + "LOCK_EXP_TIME_, SUSPENSION_STATE_, EXCEPTION_MSG_ FROM ACT_RU_JOB"));
                System.out.println("executions left: " + jdbc.queryForList("SELECT ID_, ACT_ID_, IS_ACTIVE_ FROM ACT_RU_EXECUTION"));
                System.out.println("now: " + java.time.Instant.now());
                throw e;
            }

            assertThat(history.createHistoricProcessInstanceQuery().processDefinitionKey("outage-sample").count())
                    .as("no run lost, none started twice").isEqualTo(RUNS);
            for (String pi : runs) {
                assertThat(history.createHistoricProcessInstanceQuery().processInstanceId(pi).singleResult()
                        .getEndActivityId()).as("run %s completed", pi).isEqualTo("EndEvent_Done");
                for (String step : STEPS) {
                    List<HistoricActivityInstance> done = history.createHistoricActivityInstanceQuery()
                            .processInstanceId(pi).activityId(step).finished().list();
                    assertThat(done).as("%s of run %s recorded as done exactly once", step, pi).hasSize(1);
                }
            }
            assertThat(runtime.createIncidentQuery().count()).isZero();
        }
    }

    static String status(String url) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.body().contains("\"UP\"") ? "UP" : r.body().contains("\"DOWN\"") ? "DOWN" : r.body();
        } catch (Exception e) {
            return "unreachable: " + e;
        }
    }

    static void waitFor(Duration max, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException whileTheDatabaseIsGone) {
                // queries fail while PostgreSQL is down
            }
            Thread.sleep(250);
        }
        StringBuilder threads = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            threads.append('\n').append(t.getName()).append(" ").append(t.getState());
            for (int i = 0; i < Math.min(stack.length, 25); i++) {
                threads.append("\n    at ").append(stack[i]);
            }
        });
        System.out.println("threads when giving up:" + threads);
        throw new AssertionError("waited " + max.toSeconds() + " s for " + what);
    }
}
