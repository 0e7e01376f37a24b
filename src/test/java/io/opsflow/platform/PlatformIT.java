package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.TaskService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.opsflow.testsupport.RestClient;

/**
 * The platform as a user meets it over HTTP: authentication on the REST API, the webapp login, authorization of
 * approval tasks, validation refusals as 400 with nothing persisted, the environment API.
 */
@org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"opsflow.sandbox.enabled=false", "camunda.bpm.job-execution.enabled=false"})
class PlatformIT {
    @TempDir
    static Path var;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("opsflow.var-dir", () -> var.toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    RuntimeService runtime;
    @Autowired
    TaskService tasks;

    @Test
    void restApiDemandsCredentials() {
        assertThat(RestClient.anonymous(port).get("/engine-rest/process-definition").status()).isEqualTo(401);
        assertThat(RestClient.anonymous(port).get("/api/environments").status()).isEqualTo(401);
        assertThat(new RestClient("http://127.0.0.1:" + port, "nobody").get("/engine-rest/process-definition")
                .status()).isEqualTo(401);
        assertThat(RestClient.as(port, "operator").get("/engine-rest/process-definition").status()).isEqualTo(200);
        assertThat(RestClient.anonymous(port).get("/actuator/health").status()).isEqualTo(200);
        assertThat(RestClient.anonymous(port).get("/actuator/prometheus").status()).isEqualTo(401);
        RestClient.Response prom = RestClient.as(port, "admin").get("/actuator/prometheus");
        assertThat(prom.status()).as(prom.body()).isEqualTo(200);
        assertThat(prom.body()).contains("opsflow_incidents_open");
    }

    @Test
    void adminLogsIntoTheWebapps() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base() + "/camunda/app/cockpit/default/"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        String csrf = page.headers().firstValue("X-XSRF-TOKEN").orElse("");
        String cookies = String.join("; ", page.headers().allValues("Set-Cookie").stream()
                .map(c -> c.split(";", 2)[0]).toList());
        HttpResponse<String> bad = login(http, cookies, csrf, "mallory", "wrong");
        assertThat(bad.statusCode()).isEqualTo(401);
        HttpResponse<String> ok = login(http, cookies, csrf, "admin", "admin");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).contains("\"userId\":\"admin\"").contains("cockpit");
    }

    /**
     * A Tasklist form reads opsflow's API with the operator's webapp session (no second password prompt): reads are
     * accepted with that session, writes still demand Basic, and after logout the session reads nothing.
     */
    @Test
    void theWebappSessionReadsTheOpsflowApiButCannotWriteIt() throws Exception {
        HttpClient http = HttpClient.newBuilder().build();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base() + "/camunda/app/tasklist/default/"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        String csrf = page.headers().firstValue("X-XSRF-TOKEN").orElse("");
        java.util.Map<String, String> jar = new java.util.LinkedHashMap<>();
        keep(jar, page);
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base()
                + "/camunda/api/admin/auth/user/default/login/tasklist"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie(jar))
                .header("X-XSRF-TOKEN", csrf)
                .POST(HttpRequest.BodyPublishers.ofString("username=operator&password=operator")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        keep(jar, login);
        // the login started a new session: fetch its CSRF token as the webapp does
        HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(base()
                + "/camunda/app/tasklist/default/")).header("Cookie", cookie(jar)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        keep(jar, again);
        csrf = again.headers().firstValue("X-XSRF-TOKEN").orElse(csrf);

        HttpResponse<String> envs = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/environments"))
                .header("Cookie", cookie(jar)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(envs.statusCode()).as(envs.body()).isEqualTo(200);
        assertThat(envs.body()).contains("\"name\":\"staging\"");

        // a write with the session alone is refused like an anonymous one, and nothing starts
        long before = runtime.createProcessInstanceQuery().count();
        HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/alerts/alertmanager"))
                .header("Cookie", cookie(jar)).header("X-XSRF-TOKEN", csrf).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"alerts\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(write.statusCode()).isEqualTo(401);
        assertThat(runtime.createProcessInstanceQuery().count()).isEqualTo(before);
        // Tasklist submits a start form through the webapp's own engine API: invalid input is a 400 with the
        // field message (the form shows it), and nothing starts
        HttpResponse<String> tasklistSubmit = http.send(HttpRequest.newBuilder(URI.create(base()
                + "/camunda/api/engine/engine/default/process-definition/key/platform-sample/submit-form"))
                .header("Cookie", cookie(jar)).header("X-XSRF-TOKEN", csrf).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new com.fasterxml.jackson.databind.ObjectMapper()
                        .writeValueAsString(RestClient.variables("environment", "staging",
                        "application", "webapp", "version", "$(reboot)")))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(tasklistSubmit.statusCode()).as(tasklistSubmit.body()).isEqualTo(400);
        assertThat(tasklistSubmit.body()).contains("version: must be a version");
        assertThat(runtime.createProcessInstanceQuery().count()).isEqualTo(before);
        // and the engine REST API does not take the session at all
        HttpResponse<String> engineRest = http.send(HttpRequest.newBuilder(URI.create(base()
                + "/engine-rest/process-definition")).header("Cookie", cookie(jar)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(engineRest.statusCode()).isEqualTo(401);

        HttpResponse<String> logout = http.send(HttpRequest.newBuilder(URI.create(base()
                + "/camunda/api/admin/auth/user/default/logout")).header("Cookie", cookie(jar))
                .header("X-XSRF-TOKEN", csrf).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(logout.statusCode()).as(logout.body()).isEqualTo(200);
        HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/environments"))
                .header("Cookie", cookie(jar)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(401);
    }

    private static void keep(java.util.Map<String, String> jar, HttpResponse<?> response) {
        for (String c : response.headers().allValues("Set-Cookie")) {
            String[] kv = c.split(";", 2)[0].split("=", 2);
            jar.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
    }

    private static String cookie(java.util.Map<String, String> jar) {
        return String.join("; ", jar.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    private HttpResponse<String> login(HttpClient http, String cookies, String csrf, String user, String pw)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base() + "/camunda/api/admin/auth/user/default/login/cockpit"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", cookies).header("X-XSRF-TOKEN", csrf)
                .POST(HttpRequest.BodyPublishers.ofString("username=" + user + "&password=" + pw)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void invalidStartInputIsA400NamingTheFieldAndNothingIsPersisted() {
        RestClient op = RestClient.as(port, "operator");
        long before = runtime.createProcessInstanceQuery().count();
        long historyBefore = op.get("/engine-rest/history/process-instance/count").json().get("count").asLong();
        RestClient.Response r = op.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "staging", "application", "web;rm -rf /", "version", "1.1.0"));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().get("errors").get(0).asText()).startsWith("application: must be a name");
        assertThat(r.json().get("type").asText()).isEqualTo("RunbookInputException");

        RestClient.Response form = op.post("/engine-rest/process-definition/key/platform-sample/submit-form",
                RestClient.variables("environment", "staging", "application", "webapp", "version", "$(reboot)"));
        assertThat(form.status()).as(form.body()).isEqualTo(400);
        assertThat(form.body()).contains("version: must be a version");

        RestClient.Response wrongType = op.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "staging", "application", "webapp", "version", "1.0.0",
                        "batchSize", "many"));
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.body()).contains("batchSize: must be an integer");

        assertThat(runtime.createProcessInstanceQuery().count()).isEqualTo(before);
        assertThat(op.get("/engine-rest/history/process-instance/count").json().get("count").asLong())
                .isEqualTo(historyBefore);
    }

    @Test
    void operatorCannotCompleteAnApprovalTaskAndAnApproverCan() {
        RestClient operator = RestClient.as(port, "operator");
        RestClient.Response started = operator.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "production", "application", "authz-app", "version", "1.1.0",
                        "reason", "test"));
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String pi = started.json().get("id").asText();
        assertThat(runtime.getVariable(pi, "initiator")).isEqualTo("operator");
        String taskId = tasks.createTaskQuery().processInstanceId(pi).singleResult().getId();

        // a second release of the same application in the same environment is refused while this one runs
        RestClient.Response second = operator.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "production", "application", "authz-app", "version", "1.2.0",
                        "reason", "test"));
        assertThat(second.status()).as(second.body()).isEqualTo(409);

        RestClient.Response denied = operator.post("/engine-rest/task/" + taskId + "/complete", Map.of());
        assertThat(denied.status()).as(denied.body()).isEqualTo(403);
        assertThat(denied.json().get("type").asText()).as("not an approver: a plain authorization refusal")
                .isEqualTo("AuthorizationException");
        RestClient.Response claimDenied = operator.post("/engine-rest/task/" + taskId + "/claim",
                Map.of("userId", "operator"));
        assertThat(claimDenied.status()).as(claimDenied.body()).isIn(403);

        RestClient approver = RestClient.as(port, "approver");
        assertThat(approver.get("/engine-rest/task?processInstanceId=" + pi).json()).hasSize(1);
        RestClient.Response done = approver.post("/engine-rest/task/" + taskId + "/complete",
                RestClient.variables("approved", true));
        assertThat(done.status()).as(done.body()).isEqualTo(204);
        assertThat(runtime.createProcessInstanceQuery().processInstanceId(pi).count()).isZero();
    }

    @Test
    void initiatorCannotApproveOwnRunOverRest() {
        RestClient approver = RestClient.as(port, "approver");
        RestClient.Response started = approver.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "production", "application", "own-app", "version", "1.1.0",
                        "reason", "test"));
        String pi = started.json().get("id").asText();
        String taskId = tasks.createTaskQuery().processInstanceId(pi).singleResult().getId();
        RestClient.Response claim = approver.post("/engine-rest/task/" + taskId + "/claim",
                Map.of("userId", "approver"));
        assertThat(claim.status()).as(claim.body()).isEqualTo(403);
        assertThat(claim.json().get("type").asText()).isEqualTo("FourEyesViolation");
        assertThat(claim.json().get("message").asText()).startsWith("Four-eyes rule: approver started this run");
        RestClient.Response complete = approver.post("/engine-rest/task/" + taskId + "/complete",
                RestClient.variables("approved", true));
        assertThat(complete.status()).as(complete.body()).isEqualTo(403);
        assertThat(complete.json().get("type").asText()).isEqualTo("FourEyesViolation");
        assertThat(complete.json().get("message").asText()).contains("cannot claim, be assigned or complete");
        assertThat(tasks.createTaskQuery().taskId(taskId).singleResult().getAssignee()).isNull(); // nothing changed
        RestClient.Response other = RestClient.as(port, "approver2").post("/engine-rest/task/" + taskId
                + "/complete", RestClient.variables("approved", true));
        assertThat(other.status()).as(other.body()).isEqualTo(204);
    }

    @Test
    void environmentApiListsEnvironments() {
        RestClient.Response r = RestClient.as(port, "operator").get("/api/environments");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"name\":\"staging\"").contains("\"name\":\"production\"");
        RestClient.Response prod = RestClient.as(port, "operator").get("/api/environments/production");
        assertThat(prod.json().get("requiresApproval").asBoolean()).isTrue();
        assertThat(RestClient.as(port, "operator").get("/api/environments/nowhere").status()).isEqualTo(404);
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }
}
