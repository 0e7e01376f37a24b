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
 * The forms in a real browser (Debian chromium, headless): the start forms (release, scale, backup) are embedded
 * forms offering the environments, applications, versions and backup targets the live API lists
 * (static/forms/*-start.html); the approver's Camunda Form shows the evidence read-only and the approve checkbox.
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
    void startFormOffersTheEnvironmentsApplicationsAndVersionsOfTheStoreAndStartsWithTypedInputs() throws Exception {
        WebElement environment = startFormAsOperator("Release", "Release a new version");
        assertThat(offered(environment)).contains("staging", "production (approval required)");
        WebElement application = tasklist.visible("application select", By.id("opsflow-application"));
        WebElement version = tasklist.visible("version select", By.id("opsflow-version"));
        // staging and webapp are the defaults; the versions are what the artifact store holds, newest first
        tasklist.until("webapp's versions", () -> offered(version).size() == 4 ? true : null);
        assertThat(selected(environment)).isEqualTo("staging");
        assertThat(offered(application)).containsExactly("api", "webapp");
        assertThat(selected(application)).isEqualTo("webapp");
        assertThat(offered(version)).containsExactly("2.0.0-broken", "1.2.0", "1.1.0", "1.0.0");
        choose(application, "api");
        tasklist.until("api's versions", () -> offered(version).equals(List.of("1.1.0", "1.0.0")) ? true : null);
        choose(application, "webapp");
        tasklist.until("webapp's versions again", () -> offered(version).size() == 4 ? true : null);
        String page = tasklist.browser.getPageSource();
        assertThat(page).contains("Strategy").contains("Batch size").contains("Max failure percent")
                .contains("Canary bake period").contains("Reason");
        tasklist.shot("release-start-form.png");

        // production without a reason: the platform refuses (400) and Tasklist shows why; nothing starts
        choose(environment, "production (approval required)");
        tasklist.until("production's versions", () -> offered(version).size() == 4 ? true : null);
        choose(version, "1.2.0");
        tasklist.startButton().click();
        tasklist.until("refusal naming the reason", () -> tasklist.browser.getPageSource()
                .contains("reason: is required") ? true : null);
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("release-version").startedBy("operator").unfinished().count()).isZero();

        tasklist.fill("reason", () -> tasklist.visible("reason", By.id("opsflow-reason")),
                "CHG-88 started from the Tasklist form");
        tasklist.startButton().click();
        var vars = runStartedByOperator("release-version");
        assertThat(vars).containsEntry("environment", "production").containsEntry("application", "webapp")
                .containsEntry("version", "1.2.0").containsEntry("strategy", "rolling")
                .containsEntry("canaryBake", "PT30S").containsEntry("initiator", "operator")
                .containsEntry("reason", "CHG-88 started from the Tasklist form")
                .containsEntry("runbookLock", "release:production/webapp");
        assertThat(vars.get("batchSize")).isEqualTo(1);
        assertThat(vars.get("maxFailurePercent")).isEqualTo(0);
        assertThat(vars.get("canaryChecks")).isEqualTo(3);
    }

    @Test
    void scaleFormStartsWithAnIntegerAndABoolean() throws Exception {
        WebElement environment = startFormAsOperator("Scale", "Scale a service");
        choose(environment, "production (approval required)");
        WebElement application = tasklist.visible("application select", By.id("opsflow-application"));
        tasklist.until("applications of production", () -> offered(application).contains("webapp") ? true : null);
        choose(application, "webapp");
        tasklist.fill("instances", () -> tasklist.visible("instances", By.id("opsflow-instances")), "2");
        tasklist.visible("cooldown checkbox", By.id("opsflow-honourCooldown")).click();
        tasklist.fill("reason", () -> tasklist.visible("reason", By.id("opsflow-reason")), "CHG-89 from Tasklist");
        tasklist.startButton().click();
        var vars = runStartedByOperator("scale-service");
        assertThat(vars).containsEntry("environment", "production").containsEntry("application", "webapp")
                .containsEntry("reason", "CHG-89 from Tasklist").containsEntry("trigger", "manual");
        assertThat(vars.get("instances")).isEqualTo(2);
        assertThat(vars.get("honourCooldown")).isEqualTo(true);
    }

    @Test
    void backupFormOffersTheEnvironmentsBackupTargets() throws Exception {
        WebElement environment = startFormAsOperator("Backup", "Backup");
        choose(environment, "staging");
        WebElement target = tasklist.visible("target select", By.id("opsflow-target"));
        tasklist.until("staging's backup targets", () -> offered(target).contains("appdb (postgres)") ? true : null);
        choose(target, "appdb (postgres)");
        tasklist.fill("reason", () -> tasklist.visible("reason", By.id("opsflow-reason")), "CHG-90 from Tasklist");
        tasklist.startButton().click();
        var vars = runStartedByOperator("backup");
        assertThat(vars).containsEntry("environment", "staging").containsEntry("target", "appdb")
                .containsEntry("reason", "CHG-90 from Tasklist").containsEntry("purpose", "on-demand");
        // the backup runs for real: let it end, so that no other test finds its target locked
        SandboxApp.awaitEnd(engine, started, Duration.ofMinutes(3));
    }

    /** Opens the start form as operator; returns its environment select once it lists the environments. */
    private WebElement startFormAsOperator(String search, String name) {
        tasklist.login("operator");
        tasklist.openStartForm(search, name);
        WebElement environment = tasklist.visible("environment select", By.id("opsflow-environment"));
        tasklist.until("environments from /api/environments", () -> offered(environment).contains("staging") ? true
                : null);
        return environment;
    }

    /** The variables of the run the operator just started from the form (deleted after the test). */
    private java.util.Map<String, Object> runStartedByOperator(String processKey) {
        var pi = tasklist.until("the " + processKey + " run", () -> engine.getHistoryService()
                .createHistoricProcessInstanceQuery().processDefinitionKey(processKey).startedBy("operator")
                .unfinished().singleResult());
        started = pi.getId();
        return engine.getRuntimeService().getVariables(started);
    }

    /** The options a select offers (text), without its placeholder. */
    private static List<String> offered(WebElement select) {
        return select.findElements(By.tagName("option")).stream().filter(o -> !"".equals(o.getAttribute("value")))
                .map(WebElement::getText).map(String::strip).toList();
    }

    private static String selected(WebElement select) {
        return select.findElements(By.tagName("option")).stream().filter(WebElement::isSelected)
                .map(WebElement::getText).map(String::strip).findFirst().orElse(null);
    }

    private void choose(WebElement select, String text) {
        tasklist.until(text + " chosen", () -> {
            select.findElements(By.tagName("option")).stream().filter(o -> o.getText().strip().equals(text))
                    .findFirst().ifPresent(WebElement::click);
            return text.equals(selected(select)) ? true : null;
        });
    }

    private WebElement field(String key) {
        return tasklist.visible(key + " field", By.cssSelector("input[id$='Field_" + key + "'], textarea[id$='Field_"
                + key + "'], input[name='" + key + "'], textarea[name='" + key + "']"));
    }
}
