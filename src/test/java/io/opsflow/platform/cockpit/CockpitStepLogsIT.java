package io.opsflow.platform.cockpit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.SandboxApp;
import io.opsflow.testsupport.Tasklist;

/**
 * The "Step logs" tab in Cockpit, in headless Chromium: an admin opens a running instance whose step is writing its
 * log, opens the tab, sees the step's lines and sees them grow without reloading; clicking another activity in the
 * diagram shows that activity's log, clicking the running one follows it again until it ends. The step is gated by
 * the test (it writes, then waits for the test to let it go on), so nothing races a clock. A log line that looks like
 * HTML is shown as text. The screenshot docs/screenshots/cockpit-step-logs.png is a copy of the one taken here.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"opsflow.sandbox.enabled=false", "camunda.bpm.job-execution.wait-time-in-millis=200",
                "camunda.bpm.job-execution.max-wait=1000", "opsflow.step-logs.flush-interval=PT0.2S",
                "opsflow.step-logs.stream-poll=PT0.3S"})
class CockpitStepLogsIT {
    static final Semaphore GATE = new Semaphore(0);
    static final String HTML_LINE = "<img src=x onerror=\"document.title='pwned'\"> stays text";

    @TempDir
    static Path var;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("opsflow.var-dir", () -> var.toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    RepositoryService repository;
    @Autowired
    RuntimeService runtime;
    @Autowired
    StepLogs logs;

    @TestConfiguration
    static class Steps {
        @Bean("quickLogStep")
        RunbookStep quickLogStep(StepLogs logs) {
            return new RunbookStep(logs) {
                @Override
                protected void run(DelegateExecution execution, StepLog log) {
                    log.line("out", "prepared the release plan");
                }
            };
        }

        /** Writes, waits for the test, writes more, waits again, writes the last line. */
        @Bean("gatedLogStep")
        RunbookStep gatedLogStep(StepLogs logs) {
            return new RunbookStep(logs) {
                @Override
                protected void run(DelegateExecution execution, StepLog log) throws Exception {
                    log.line("out", "line 1 of the slow step");
                    log.line("out", HTML_LINE);
                    if (!GATE.tryAcquire(3, TimeUnit.MINUTES)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                    log.line("out", "line 2 after the first gate");
                    if (!GATE.tryAcquire(3, TimeUnit.MINUTES)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                    log.line("out", "line 3 done");
                }
            };
        }
    }

    @AfterEach
    void openGates() {
        GATE.release(2); // never leave a job thread waiting
    }

    @Test
    void theTabShowsTheRunningStepsLogGrowingAndFollowsTheDiagram() throws Exception {
        repository.createDeployment().name("cockpit-step-logs").addModelInstance("cockpit-step-logs.bpmn",
                Bpmn.createExecutableProcess("cockpit-step-logs").name("Step logs demo").camundaHistoryTimeToLive(1)
                        .startEvent("StartEvent_1")
                        .serviceTask("Task_PrepareRelease").name("Prepare release").camundaAsyncBefore()
                        .camundaDelegateExpression("${quickLogStep}")
                        .serviceTask("Task_ActivateRelease").name("Activate release").camundaAsyncBefore()
                        .camundaDelegateExpression("${gatedLogStep}")
                        .endEvent("EndEvent_Done").done()).deploy();
        String pi = runtime.startProcessInstanceByKey("cockpit-step-logs").getId();
        SandboxApp.await(() -> logs.list(pi).stream().anyMatch(e -> "Task_ActivateRelease".equals(e.activityId())
                && logs.read(pi, e.activityInstanceId(), 0).orElseThrow().text().contains("stays text")),
                Duration.ofSeconds(60), "the slow step to write its first lines");

        try (Tasklist ui = new Tasklist(port)) {
            String cockpit = "http://127.0.0.1:" + port + "/camunda/app/cockpit/default/";
            login(ui, cockpit, "admin");
            ui.browser.get(cockpit + "#/process-instance/" + pi + "/runtime");
            ui.visible("the Step logs tab", By.xpath("//ul[contains(@class,'nav-tabs')]//a[normalize-space(.)='Step logs']"))
                    .click();
            WebElement text = ui.visible("the log text", By.cssSelector(".opsflow-step-logs-text"));
            ui.until("the running step's first line", () -> text.getText().contains("line 1 of the slow step"));
            assertThat(text.getText()).contains(HTML_LINE);
            assertThat(ui.browser.findElements(By.cssSelector(".opsflow-step-logs img"))).as("shown as text").isEmpty();
            assertThat(ui.browser.getTitle()).doesNotContain("pwned");
            assertThat(ui.browser.findElement(By.cssSelector(".opsflow-step-logs-title")).getText())
                    .startsWith("Task_ActivateRelease");

            GATE.release();
            ui.until("the log to grow live", () -> text.getText().contains("line 2 after the first gate"));
            assertThat(text.getText()).doesNotContain("line 3 done");
            ui.until("both steps listed", () -> ui.browser.findElements(By.cssSelector(".opsflow-step-logs-row"))
                    .size() == 2);
            shot(ui, "cockpit-step-logs.png");

            // the diagram selects: the finished step's log, then the running one again
            click(ui, diagramElement(ui, "Task_PrepareRelease"));
            ui.until("the prepare step's log", () -> ui.browser.findElement(By.cssSelector(".opsflow-step-logs-text"))
                    .getText().contains("prepared the release plan"));
            assertThat(ui.browser.findElement(By.cssSelector(".opsflow-step-logs-text")).getText())
                    .doesNotContain("line 1 of the slow step");
            ui.until("its log ended", () -> ui.browser.findElement(By.cssSelector(".opsflow-step-logs-status"))
                    .getText().equals("ended"));
            click(ui, diagramElement(ui, "Task_ActivateRelease"));
            ui.until("the running step's log again", () -> ui.browser.findElement(
                    By.cssSelector(".opsflow-step-logs-text")).getText().contains("line 2 after the first gate"));

            GATE.release();
            ui.until("the last line", () -> ui.browser.findElement(By.cssSelector(".opsflow-step-logs-text"))
                    .getText().contains("line 3 done"));
            ui.until("the stream to end with the step", () -> ui.browser.findElement(
                    By.cssSelector(".opsflow-step-logs-status")).getText().equals("ended"));
        }
    }

    /** Cockpit's login form (shared with Tasklist), filled until the values stick, then the dashboard. */
    static void login(Tasklist ui, String cockpit, String user) {
        ui.browser.get(cockpit + "#/login");
        By name = By.cssSelector("input[placeholder='Username'], input#username, input[name='username']");
        ui.visible("login form", name);
        ui.fill("user name", () -> ui.browser.findElement(name), user);
        ui.fill("password", () -> ui.browser.findElement(By.cssSelector("input[type='password']")), user);
        ui.browser.findElement(By.xpath("//button[normalize-space(.)='Log in'] | //button[@type='submit']")).click();
        ui.visible("Cockpit after login", By.xpath("//a[normalize-space(.)='Processes']"));
    }

    static WebElement diagramElement(Tasklist ui, String id) {
        return ui.visible(id + " in the diagram", By.cssSelector("[data-element-id='" + id + "'] .djs-hit"));
    }

    /** A click where the user clicks: on the shape, whatever part of it (its label) is on top there. */
    static void click(Tasklist ui, WebElement element) {
        new Actions(ui.browser).moveToElement(element).click().perform();
    }

    /** Into target/ (and docs/screenshots/tmp/ like every UI test); the committed copy is in docs/screenshots/. */
    static void shot(Tasklist ui, String name) throws Exception {
        ui.shot(name);
        Path out = Path.of("target/screenshots");
        Files.createDirectories(out);
        Files.write(out.resolve(name), ((TakesScreenshot) ui.browser).getScreenshotAs(OutputType.BYTES));
    }
}
