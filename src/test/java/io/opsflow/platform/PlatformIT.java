package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.RestoreRecord;
import io.opsflow.platform.api.ServerPaths;
import io.opsflow.testsupport.RestClient;

/**
 * The platform as a user meets it over HTTP: authentication on the REST API, the webapp login, authorization of
 * approval tasks, validation refusals as 400 with nothing persisted, the environment API, and answers (errors
 * included) that name things by id, never by where they lie on the server.
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
        // "lab": an environment whose files are not there (key, known_hosts, Terraform root), all under the var dir,
        // so that answers about it can be checked for server paths
        r.add("opsflow.environments.lab.ssh.key-ref", () -> "file:" + var.resolve("keys/id_lab"));
        r.add("opsflow.environments.lab.ssh.known-hosts", () -> var.resolve("ssh/known_hosts").toString());
        r.add("opsflow.environments.lab.hosts[0].name", () -> "lab-1");
        r.add("opsflow.environments.lab.hosts[0].address", () -> "127.0.0.1");
        r.add("opsflow.environments.lab.hosts[0].ssh-port", () -> "1");
        r.add("opsflow.environments.lab.terraform-root", () -> var.resolve("terraform/lab").toString());
        r.add("opsflow.ansible.binary", () -> var.resolve("no-ansible/ansible-playbook").toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    RuntimeService runtime;
    @Autowired
    TaskService tasks;
    @Autowired
    BackupCatalog catalog;
    @Autowired
    io.opsflow.platform.tools.ToolsHealthIndicator toolsHealth;

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

    // ------------------------------------------------------------ no answer says where things lie on the server

    @Test
    void anUnreachableHostIsReportedWithoutTheServersKeyOrKnownHostsPath() {
        RestClient.Response r = RestClient.as(port, "operator").get("/api/environments/lab");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode host = r.json().get("hosts").get(0);
        assertThat(host.get("reachable").asBoolean()).isFalse();
        // both are missing; the pooled connection checks the trust (known_hosts) before the key
        assertThat(host.get("error").asText()).as("says which file is missing, not where")
                .containsAnyOf("known_hosts file …/known_hosts", "SSH private key file …/id_lab");
        assertNoServerPath(r);
    }

    @Test
    void theBackupCatalogNamesCopiesByIdAndObjectKeyNotByWhereTheyLie() {
        Instant t = Instant.parse("2025-01-31T02:00:00Z");
        String key = "lab/www/lab-www-1.tar.gz";
        catalog.insert(new BackupEntry("lab-www-1", "lab", "www", "files", "lab-1:/srv/www",
                var.resolve("backups/offsite").resolve(key).toUri().toString(), key, 2048, "ab".repeat(32), t,
                t.plusSeconds(20), true, "scheduled", Map.of("files", 3L), null, null, null));
        catalog.recordRestore(new RestoreRecord("restore-run-1", "lab-www-1", "lab", "www", "scratch", true, t,
                t.plusSeconds(60), "FAILED", null, null, "offsite copy "
                + var.resolve("backups/offsite").resolve(key).toUri() + " does not exist", "restore-run-1"));
        RestClient op = RestClient.as(port, "operator");

        RestClient.Response backups = op.get("/api/backups?environment=lab");
        assertThat(backups.status()).as(backups.body()).isEqualTo(200);
        JsonNode b = backups.json().get("backups").get(0);
        assertThat(b.get("id").asText()).isEqualTo("lab-www-1");
        assertThat(b.get("objectKey").asText()).isEqualTo(key);
        assertThat(b.has("location")).as("the offsite store's path of the copy").isFalse();
        assertThat(b.get("source").asText()).as("the host, not its directory").isEqualTo("lab-1");
        assertNoServerPath(backups);
        assertThat(backups.body()).doesNotContain("/srv/www");

        RestClient.Response drills = op.get("/api/backups/drills?environment=lab");
        assertThat(drills.status()).as(drills.body()).isEqualTo(200);
        assertThat(drills.json().get("runs").get(0).get("detail").asText())
                .isEqualTo("offsite copy …/lab-www-1.tar.gz does not exist");
        assertThat(drills.json().get("summary").get("lastDrill").get("detail").asText())
                .isEqualTo("offsite copy …/lab-www-1.tar.gz does not exist");
        assertNoServerPath(drills);
    }

    @Test
    void aStartRefusedForAMissingTerraformRootNamesTheSettingNotTheDirectory() {
        RestClient.Response r = RestClient.as(port, "operator").post(
                "/engine-rest/process-definition/key/provision-infrastructure/start",
                RestClient.variables("environment", "lab", "reason", "more capacity"));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().get("type").asText()).isEqualTo("RunbookInputException");
        assertThat(r.json().get("errors").get(0).asText()).isEqualTo("environment: the Terraform root of lab is not"
                + " a directory (opsflow.environments.lab.terraform-root; the server log names the directory)");
        assertNoServerPath(r);
    }

    @Test
    void aRunbookWhoseToolIsMissingIsRefusedAtStartNamingTheToolAndItsInstallLine() {
        // this test's engine looks for ansible-playbook where there is none (opsflow.ansible.binary below)
        long before = runtime.createProcessInstanceQuery().processDefinitionKey("deploy-application").count();
        RestClient.Response r = RestClient.as(port, "operator").post(
                "/engine-rest/process-definition/key/deploy-application/start",
                RestClient.variables("environment", "staging", "application", "webapp", "version", "1.0.0"));
        assertThat(r.status()).as(r.body()).isEqualTo(409);
        assertThat(r.json().get("type").asText()).isEqualTo("ToolMissing");
        assertThat(r.json().get("tool").asText()).isEqualTo("ansible-playbook");
        assertThat(r.json().get("install").asText()).isEqualTo("apt-get install -y ansible-core");
        assertThat(r.json().get("message").asText()).contains("deploy-application").contains("ansible-playbook");
        assertThat(runtime.createProcessInstanceQuery().processDefinitionKey("deploy-application").count())
                .as("nothing started").isEqualTo(before);

        // invalid input is still a 400 first: the caller fixes what they sent before anyone installs anything
        RestClient.Response invalid = RestClient.as(port, "operator").post(
                "/engine-rest/process-definition/key/deploy-application/start",
                RestClient.variables("environment", "staging", "application", "webapp", "version", "not a version"));
        assertThat(invalid.status()).as(invalid.body()).isEqualTo(400);

        // actuator health lists every tool the runbooks run here, present or not
        org.springframework.boot.actuate.health.Health tools = toolsHealth.health();
        assertThat(tools.getStatus().getCode()).isEqualTo("UP");
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> ansible = (java.util.Map<String, Object>) tools.getDetails()
                .get("ansible-playbook");
        assertThat(ansible).containsEntry("present", false).containsEntry("install", "apt-get install -y ansible-core");
        assertThat(ansible.get("runbooks").toString()).contains("deploy-application")
                .contains("provision-infrastructure");
    }

    @Test
    void anUnknownRunIsA404ThatEchoesOnlyIds() {
        RestClient op = RestClient.as(port, "operator");
        RestClient.Response unknown = op.get("/api/runs/no-such-run/approval");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("message").asText()).isEqualTo("no run 'no-such-run' that you may read");
        RestClient.Response crafted = op.get("/api/runs/..%20etc%20passwd/approval");
        assertThat(crafted.status()).isEqualTo(404);
        assertThat(crafted.json().get("message").asText()).isEqualTo("no run with this id that you may read");
        RestClient.Response env = op.get("/api/environments/" + "x".repeat(70));
        assertThat(env.status()).isEqualTo(404);
        assertNoServerPath(env);
    }

    /** Neither the var dir nor any absolute path appears in the answer's text values. */
    void assertNoServerPath(RestClient.Response r) {
        assertThat(r.body()).doesNotContain(var.toString());
        List<String> texts = new ArrayList<>();
        collectTexts(r.json(), texts);
        assertThat(texts).noneMatch(ServerPaths::containsPath);
    }

    static void collectTexts(JsonNode n, List<String> out) {
        if (n.isTextual()) {
            out.add(n.asText());
        }
        n.elements().forEachRemaining(c -> collectTexts(c, out));
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }
}
