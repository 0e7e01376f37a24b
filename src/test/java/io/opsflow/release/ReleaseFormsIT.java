package io.opsflow.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;
import io.opsflow.testsupport.Tasklist;

/**
 * The release forms in a real browser (Debian chromium, headless): Tasklist renders the Camunda Forms deployed with
 * the process; the approver sees the evidence read-only and the approve checkbox.
 */
@SandboxApp.Test
class ReleaseFormsIT {
    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;

    Tasklist tasklist;
    String started;

    @BeforeEach
    void browser() throws Exception {
        tasklist = new Tasklist(port);
    }

    @AfterEach
    void close() {
        if (tasklist != null) {
            tasklist.close();
        }
        if (started != null && engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(started)
                .count() > 0) {
            engine.getRuntimeService().deleteProcessInstance(started, "form test done"); // releases the lock
        }
    }

    @Test
    void approverSeesTheEvidenceAndTheApproveCheckboxInTasklist() throws Exception {
        String pi = RestClient.as(port, "approver").post(
                "/engine-rest/process-definition/key/release-version/start",
                RestClient.variables("environment", "production", "application", "webapp", "version", "1.2.0",
                        "strategy", "canary", "reason", "CHG-77: canary of 1.2.0")).json().get("id").asText();
        started = pi;
        Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", Duration.ofMinutes(3));

        tasklist.login("approver2");
        tasklist.browser.get(tasklist.url() + "#/?task=" + task.getId());
        WebElement evidence = tasklist.visible("evidence textarea",
                By.cssSelector("textarea[id*='evidenceSummary'], textarea[name='evidenceSummary']"));
        tasklist.until("evidence text", () -> String.valueOf(evidence.getAttribute("value")).contains("1.2.0"));
        assertThat(evidence.getAttribute("value")).contains("canary batch").contains("-> 1.2.0");
        // display fields are disabled: Tasklist shows them but submits only the form's own fields
        assertThat(evidence.getAttribute("disabled")).isNotNull();
        assertThat(tasklist.browser.findElement(By.cssSelector("input[id$='Field_requestedBy'], "
                + "input[name='requestedBy']")).getAttribute("value")).isEqualTo("approver");
        WebElement diff = tasklist.browser.findElement(
                By.cssSelector("textarea[id*='checkDiff'], textarea[name='checkDiff']"));
        assertThat(diff.getAttribute("value")).contains("###");
        List<WebElement> approve = tasklist.browser.findElements(By.cssSelector("input[type='checkbox']"));
        assertThat(approve).isNotEmpty();
        assertThat(tasklist.browser.getPageSource()).contains("Approve").contains("Comment");
        tasklist.shot("release-approval-form.png");

        // deciding in Tasklist passes the approval integrity checks (only approved/comment are submitted):
        // approver2 rejects with a comment, the run ends REJECTED and the record names approver2
        tasklist.visible("claim", By.xpath("//*[self::a or self::button][normalize-space(.)='Claim']")).click();
        WebElement comment = field("comment");
        comment.sendKeys("not during the sale");
        WebElement complete = tasklist.until("an enabled complete button", () -> tasklist.browser
                .findElements(By.xpath("//button[normalize-space(.)='Complete']")).stream()
                .filter(b -> b.isEnabled()).findFirst().orElse(null));
        ((org.openqa.selenium.JavascriptExecutor) tasklist.browser).executeScript("arguments[0].click();", complete);
        SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(1));
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName("outcome").singleResult().getValue()).isEqualTo("REJECTED");
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName("approvedBy").singleResult().getValue()).isEqualTo("approver2");
    }

    @Test
    void startFormRendersWithTheRunbookInputs() throws Exception {
        tasklist.login("operator");
        tasklist.openStartForm("Release", "Release a new version");
        tasklist.visible("start form", By.cssSelector("input[id*='version'], input[name='version']"));
        String page = tasklist.browser.getPageSource();
        assertThat(page).contains("Strategy").contains("Batch size").contains("Max failure percent")
                .contains("Canary bake period").contains("Reason");
        tasklist.shot("release-start-form.png");

        // production without a reason: the platform refuses (400) and Tasklist shows why; nothing starts
        tasklist.fill("environment", () -> field("environment"), "production");
        tasklist.fill("version", () -> field("version"), "1.2.0");
        tasklist.startButton().click();
        tasklist.until("refusal naming the reason", () -> tasklist.browser.getPageSource()
                .contains("reason: is required") ? true : null);
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("release-version").startedBy("operator").unfinished().count()).isZero();

        tasklist.fill("reason", () -> field("reason"), "CHG-88 started from the Tasklist form");
        tasklist.startButton().click();
        var pi = tasklist.until("the run", () -> engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("release-version").startedBy("operator").unfinished().singleResult());
        started = pi.getId();
        var vars = engine.getRuntimeService().getVariables(started);
        assertThat(vars).containsEntry("environment", "production").containsEntry("version", "1.2.0")
                .containsEntry("strategy", "rolling").containsEntry("initiator", "operator")
                .containsEntry("runbookLock", "release:production/webapp");
        assertThat(((Number) vars.get("batchSize")).intValue()).isEqualTo(1);
    }

    private WebElement field(String key) {
        return tasklist.visible(key + " field", By.cssSelector("input[id$='Field_" + key + "'], textarea[id$='Field_"
                + key + "'], input[name='" + key + "'], textarea[name='" + key + "']"));
    }
}
