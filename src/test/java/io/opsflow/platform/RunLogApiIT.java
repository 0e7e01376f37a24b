package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;

import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ManagementService;
import org.camunda.bpm.engine.RepositoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.identity.User;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.platform.runbook.RunbookStep;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RestClient;

/**
 * The step log API as an operator meets it: {@code GET /api/runs/{pi}/logs} names each log by activity instance id,
 * size and link, never by where it lies on the server; the link serves the log, the stream follows it. Logs are in
 * the database: a file in the var dir is never served, a failed step's log stays. Ids that are not step log ids
 * (traversal, absolute paths, slashes, very long) are refused with 400 or 404, the answer reveals no server path;
 * a user who may not read the run gets 404, an anonymous caller 401, on every path including the stream.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"opsflow.sandbox.enabled=false", "camunda.bpm.job-execution.enabled=false",
                "opsflow.step-logs.stream-poll=PT0.2S"})
class RunLogApiIT {
    static final String SECRET = "SERVER-SECRET-7f3a";

    @TempDir
    static Path var;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("opsflow.var-dir", () -> var.toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    StepLogs logs;
    @Autowired
    HistoryService history;
    @Autowired
    IdentityService identity;
    @Autowired
    RepositoryService repository;
    @Autowired
    RuntimeService runtime;
    @Autowired
    ManagementService management;
    @Autowired
    AuthorizationService authorizations;

    /** A step that writes its log and fails: its transaction rolls back, its log must not. */
    @TestConfiguration
    static class FailingStep {
        @Bean("failingLogStep")
        RunbookStep failingLogStep(StepLogs logs) {
            return new RunbookStep(logs) {
                @Override
                protected void run(DelegateExecution execution, StepLog log) {
                    log.line("out", "about to fail on purpose");
                    throw new IllegalStateException("the step failed");
                }
            };
        }
    }

    RestClient operator;
    String pi;
    String approveInstance;

    @BeforeEach
    void aRunWithTwoStepLogs() throws Exception {
        operator = RestClient.as(port, "operator");
        RestClient.Response started = operator.post("/engine-rest/process-definition/key/platform-sample/start",
                RestClient.variables("environment", "staging", "application", "logs-app-" + System.nanoTime() % 100000,
                        "version", "1.1.0"));
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        pi = started.json().get("id").asText();
        approveInstance = history.createHistoricActivityInstanceQuery().processInstanceId(pi)
                .activityId("Task_Approve").singleResult().getId();
        write(pi, approveInstance, "waiting for a second person");
        write(pi, "Task_Build-exec-7", "built without an activity instance");
        // what must never be served: files next to the logs, another run's log
        Files.writeString(var.resolve("secret.log"), SECRET);
        Files.createDirectories(logs.root());
        Files.writeString(logs.root().resolve("secret.log"), SECRET);
        write("another-run", "Task_Other:1", SECRET);
        if (identity.createUserQuery().userId("outsider").count() == 0) {
            User u = identity.newUser("outsider");
            u.setPassword("outsider");
            identity.saveUser(u); // no group, no authorization: may read no run
        }
        if (identity.createUserQuery().userId("watcher").count() == 0) {
            User u = identity.newUser("watcher");
            u.setPassword("watcher");
            identity.saveUser(u);
            Authorization cockpit = authorizations.createNewAuthorization(Authorization.AUTH_TYPE_GRANT);
            cockpit.setUserId("watcher");
            cockpit.setResource(Resources.APPLICATION);
            cockpit.setResourceId("cockpit");
            cockpit.addPermission(Permissions.ACCESS);
            authorizations.saveAuthorization(cockpit); // may log into Cockpit, may read no run
        }
    }

    void write(String run, String activityInstanceId, String line) {
        try (StepLog log = logs.open(run, activityInstanceId, "test")) {
            log.line("out", line);
        }
    }

    @Test
    void theListNamesEachLogByIdSizeAndLinkAndEachLinkServesItsLog() throws Exception {
        RestClient.Response r = operator.get("/api/runs/" + pi + "/logs");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode list = r.json();
        assertThat(list).hasSize(2);

        JsonNode approve = entry(list, approveInstance);
        assertThat(fields(approve)).containsExactly("activityInstanceId", "activityId", "bytes", "firstWritten",
                "lastWritten", "ended", "href");
        assertThat(approve.get("activityId").asText()).isEqualTo("Task_Approve");
        assertThat(approve.get("bytes").asLong()).isEqualTo(logs.entry(pi, approveInstance).orElseThrow().bytes());
        assertThat(approve.get("ended").asBoolean()).isTrue();
        assertThat(approve.get("href").asText()).isEqualTo("/api/runs/" + pi + "/logs/" + approveInstance);
        assertThat(list.get(0).get("activityInstanceId").asText()).as("oldest first").isEqualTo(approveInstance);

        JsonNode build = entry(list, "Task_Build-exec-7");
        assertThat(fields(build)).as("no activity instance in history: no activityId")
                .containsExactly("activityInstanceId", "bytes", "firstWritten", "lastWritten", "ended", "href");

        // no server path anywhere: the only values starting with "/" are the links, and the var dir is not named
        for (String text : texts(list)) {
            if (text.startsWith("/")) {
                assertThat(text).startsWith("/api/runs/" + pi + "/logs/");
            }
        }
        assertThat(r.body()).doesNotContain(var.toString()).doesNotContain("\"path\"");

        for (JsonNode e : list) {
            RestClient.Response log = operator.get(e.get("href").asText());
            assertThat(log.status()).as(log.body()).isEqualTo(200);
            assertThat(log.body()).hasSize(e.get("bytes").asInt()).doesNotContain(SECRET);
        }
        assertThat(operator.get("/api/runs/" + pi + "/logs/" + approveInstance).body())
                .contains("waiting for a second person");
    }

    @Test
    void theStreamSendsTheLogAsEventsAndEndsOnceItIsClosedAndSent() throws Exception {
        HttpResponse<String> r = stream("/api/runs/" + pi + "/logs/" + approveInstance + "/stream", basic("operator"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> events = events(r.body(), "log");
        String text = String.join("", events.stream().map(e -> e.get("text").asText()).toList());
        assertThat(text).isEqualTo(operator.get("/api/runs/" + pi + "/logs/" + approveInstance).body());
        long end = logs.entry(pi, approveInstance).orElseThrow().bytes();
        assertThat(events(r.body(), "end")).singleElement().satisfies(e -> assertThat(e.get("next").asLong())
                .isEqualTo(end));
        // from an offset, or from the last event id an EventSource sends when it reconnects
        HttpResponse<String> rest = stream("/api/runs/" + pi + "/logs/" + approveInstance + "/stream?offset="
                + (end - 10), basic("operator"));
        assertThat(String.join("", events(rest.body(), "log").stream().map(e -> e.get("text").asText()).toList()))
                .isEqualTo(text.substring(text.length() - 10));
        HttpResponse<String> resumed = stream("/api/runs/" + pi + "/logs/" + approveInstance + "/stream",
                basic("operator"), "Last-Event-ID", Long.toString(end));
        assertThat(events(resumed.body(), "log")).isEmpty();
        assertThat(events(resumed.body(), "end")).hasSize(1);
    }

    @Test
    void theStreamTakesTheWebappSessionButNoOneWhoMayNotReadTheRun() throws Exception {
        String path = "/api/runs/" + pi + "/logs/" + approveInstance + "/stream";
        assertThat(stream(path).statusCode()).as("anonymous").isEqualTo(401);
        HttpResponse<String> outsider = stream(path, basic("outsider"));
        assertThat(outsider.statusCode()).as("a user who may not read the run").isEqualTo(404);
        assertThat(outsider.body()).doesNotContain("waiting for a second person");
        assertThat(RestClient.as(port, "outsider").get("/api/runs/" + pi + "/logs").status()).isEqualTo(404);
        assertThat(RestClient.as(port, "outsider").get("/api/runs/" + pi + "/logs/" + approveInstance).status())
                .isEqualTo(404);
        // the Cockpit plugin's request: the browser's webapp session cookie, no Basic
        HttpResponse<String> bySession = stream(path, "Cookie", webappSession("operator"));
        assertThat(bySession.statusCode()).as(bySession.body()).isEqualTo(200);
        assertThat(bySession.body()).contains("waiting for a second person");
        // a user without Cockpit access gets no webapp session at all (and could not read the run with one)
        HttpResponse<String> outsiderSession = stream(path, "Cookie", webappSession("outsider"));
        assertThat(outsiderSession.statusCode()).isIn(401, 404);
        assertThat(outsiderSession.body()).doesNotContain("waiting for a second person");
        // logged into Cockpit, but not allowed to read this run: 404, as over Basic
        HttpResponse<String> watcher = stream(path, "Cookie", webappSession("watcher"));
        assertThat(watcher.statusCode()).as(watcher.body()).isEqualTo(404);
        assertThat(watcher.body()).doesNotContain("waiting for a second person");
        assertThat(stream(path, "Cookie", "JSESSIONID=forged-" + System.nanoTime()).statusCode()).isEqualTo(401);
        // ids that are not ids, another run's log, a bad offset
        for (String bad : List.of("..%2F..%2Fsecret", "x".repeat(300), "Task_Other:1", "secret")) {
            HttpResponse<String> r = stream("/api/runs/" + pi + "/logs/" + bad + "/stream", basic("operator"));
            assertThat(r.statusCode()).as(bad).isIn(400, 404);
            assertThat(r.body()).as(bad).doesNotContain(SECRET).doesNotContain(var.toString());
        }
        assertThat(stream(path + "?offset=-1", basic("operator")).statusCode()).isEqualTo(400);
        assertThat(stream(path, basic("operator"), "Last-Event-ID", "../x").statusCode()).isEqualTo(400);
        assertThat(stream("/api/runs/another-run/logs/Task_Other:1/stream", basic("operator")).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aLogNobodyClosedEndsWithItsRun() throws Exception {
        StepLog dead = logs.open(pi, "Task_Dead:1", "Task_Dead"); // its node died: never closed
        dead.line("out", "last words");
        assertThat(entry(operator.get("/api/runs/" + pi + "/logs").json(), "Task_Dead:1").get("ended").asBoolean())
                .isFalse();
        runtime.deleteProcessInstance(pi, "the run was cancelled after its node died");
        assertThat(entry(operator.get("/api/runs/" + pi + "/logs").json(), "Task_Dead:1").get("ended").asBoolean())
                .isTrue();
        HttpResponse<String> r = stream("/api/runs/" + pi + "/logs/Task_Dead:1/stream", basic("operator"));
        assertThat(String.join("", events(r.body(), "log").stream().map(e -> e.get("text").asText()).toList()))
                .contains("---- Task_Dead started");
        assertThat(events(r.body(), "end")).as("the stream ends although the log was never closed").hasSize(1);
    }

    @Test
    void aStepThatFailsKeepsItsLog() {
        repository.createDeployment().name("step-log-fails").addModelInstance("step-log-fails.bpmn",
                Bpmn.createExecutableProcess("step-log-fails").camundaHistoryTimeToLive(1).startEvent()
                        .serviceTask("Task_Fail").camundaAsyncBefore().camundaDelegateExpression("${failingLogStep}")
                        .endEvent().done()).deploy();
        String run = runtime.startProcessInstanceByKey("step-log-fails").getId();
        Job job = management.createJobQuery().processInstanceId(run).singleResult();
        assertThatThrownBy(() -> management.executeJob(job.getId())).hasMessageContaining("the step failed");
        assertThat(history.createHistoricActivityInstanceQuery().processInstanceId(run).activityId("Task_Fail")
                .count()).as("the step's transaction rolled back").isZero();

        JsonNode list = operator.get("/api/runs/" + run + "/logs").json();
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("activityId").asText()).isEqualTo("Task_Fail");
        assertThat(list.get(0).get("ended").asBoolean()).isTrue();
        assertThat(operator.get(list.get(0).get("href").asText()).body()).contains("[out] about to fail on purpose");
    }

    @Test
    void idsThatAreNotStepLogIdsAreRefusedAndNothingOutsideTheRunsFolderIsServed() throws Exception {
        String base = "/api/runs/" + pi + "/logs/";
        List<String> crafted = List.of("..%2F..%2Fsecret", "..%2Fsecret", "%2E%2E%2F%2E%2E%2Fsecret", "..", "%2E%2E",
                "..%5C..%5Csecret", "a%2Fb", "a/b", "%2Fetc%2Fpasswd", "/etc/passwd",
                URLEncoder.encode(var.resolve("secret.log").toString(), StandardCharsets.UTF_8),
                "..%2Fanother-run%2FTask_Other_1", "x".repeat(300), "secret", "..;/secret", "Task_Other:1");
        for (String id : crafted) {
            RestClient.Response r = operator.get(base + id);
            refusedRevealingNothing(id, r);
        }
        // a valid id that names no log of this run: 404 saying so, a JSON answer like every /api error
        RestClient.Response none = operator.get(base + "secret");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.json().get("type").asText()).isEqualTo("RunNotFoundException");
        // an id no step log can have: 400 stating the rule, without echoing it
        RestClient.Response tooLong = operator.get(base + "x".repeat(300));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().get("message").asText()).startsWith("activityInstanceId: not the id of")
                .doesNotContain("xxxxxxxx");

        // logs are in the database: a file in the run's folder (a link elsewhere, a log of an earlier version) is
        // neither listed nor served
        Files.createDirectories(logs.root().resolve(pi));
        Files.createSymbolicLink(logs.root().resolve(pi).resolve("Task_Evil_1.log"), var.resolve("secret.log"));
        Files.writeString(logs.root().resolve(pi).resolve("Task_Old_1.log"), SECRET);
        for (String id : List.of("Task_Evil:1", "Task_Evil_1", "Task_Old:1", "Task_Old_1")) {
            RestClient.Response onDisk = operator.get(base + id);
            assertThat(onDisk.status()).as(id).isEqualTo(404);
            assertThat(onDisk.body()).doesNotContain(SECRET);
        }
        assertThat(operator.get("/api/runs/" + pi + "/logs").body()).doesNotContain("Task_Evil")
                .doesNotContain("Task_Old");
    }

    @Test
    void aRunThatIsNotThereIsA404ThatEchoesNothingButIds() {
        RestClient.Response unknown = operator.get("/api/runs/no-such-run/logs");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("message").asText()).isEqualTo("no run 'no-such-run' that you may read");
        // a log folder without a run (nobody may read it) is not served either
        assertThat(operator.get("/api/runs/another-run/logs").status()).isEqualTo(404);
        assertThat(operator.get("/api/runs/another-run/logs/Task_Other:1").body()).doesNotContain(SECRET);
        for (String run : List.of("..%2F..", "%2Fetc%2Fpasswd", "..", "x".repeat(300), "a%2F..%2F..%2Fsecret")) {
            RestClient.Response r = operator.get("/api/runs/" + run + "/logs");
            refusedRevealingNothing(run, r);
        }
        assertThat(RestClient.anonymous(port).get("/api/runs/" + pi + "/logs").status()).isEqualTo(401);
    }

    /**
     * 400 or 404, no file served (neither a secret next to the logs nor /etc/passwd), the var dir not named; an
     * opsflow error answer ({type, message}) does not echo what was sent. (Requests that Tomcat or Spring refuse
     * before opsflow sees them get Spring Boot's error JSON, whose "path" is the URL the caller sent.)
     */
    void refusedRevealingNothing(String sent, RestClient.Response r) {
        assertThat(r.status()).as(sent + ": " + r.body()).isIn(400, 404);
        assertThat(r.body()).as(sent).doesNotContain(SECRET).doesNotContain("root:x:0:0")
                .doesNotContain(var.toString());
        if (r.body().startsWith("{\"type\"")) {
            String message = r.json().get("message").asText();
            assertThat(message).as(sent).doesNotContain("passwd").doesNotContain("xxxxxxxx").doesNotContain("/");
        }
    }

    HttpResponse<String> stream(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Accept", "text/event-stream").GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String[] basic(String user) {
        return new String[] {"Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + user).getBytes(StandardCharsets.UTF_8))};
    }

    HttpResponse<String> stream(String path, String[] auth, String... more) throws Exception {
        String[] all = java.util.Arrays.copyOf(auth, auth.length + more.length);
        System.arraycopy(more, 0, all, auth.length, more.length);
        return stream(path, all);
    }

    /** The JSON data of every event named {@code name} in a text/event-stream body. */
    static List<JsonNode> events(String body, String name) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            String type = null;
            StringBuilder data = new StringBuilder();
            for (String line : event.split("\n")) {
                if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5));
                }
            }
            if (name.equals(type)) {
                out.add(new ObjectMapper().readTree(data.toString()));
            }
        }
        return out;
    }

    /** Logs {@code user} into Cockpit as the browser does and returns the session's Cookie header. */
    String webappSession(String user) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/camunda/app/cockpit/default/"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        Map<String, String> jar = new java.util.LinkedHashMap<>();
        cookies(jar, page);
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base
                + "/camunda/api/admin/auth/user/default/login/cockpit"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie(jar))
                .header("X-XSRF-TOKEN", page.headers().firstValue("X-XSRF-TOKEN").orElse(""))
                .POST(HttpRequest.BodyPublishers.ofString("username=" + user + "&password=" + user)).build(),
                HttpResponse.BodyHandlers.ofString());
        cookies(jar, login);
        return cookie(jar);
    }

    private static void cookies(Map<String, String> jar, HttpResponse<?> response) {
        for (String c : response.headers().allValues("Set-Cookie")) {
            String[] kv = c.split(";", 2)[0].split("=", 2);
            jar.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
    }

    private static String cookie(Map<String, String> jar) {
        return String.join("; ", jar.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    static JsonNode entry(JsonNode list, String activityInstanceId) {
        for (JsonNode e : list) {
            if (e.get("activityInstanceId").asText().equals(activityInstanceId)) {
                return e;
            }
        }
        throw new AssertionError("no entry for " + activityInstanceId + " in " + list);
    }

    static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** Every text value in the JSON, however deep. */
    static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            out.addAll(texts(it.next().getValue()));
        }
        if (n.isArray()) {
            n.forEach(c -> out.addAll(texts(c)));
        }
        return out;
    }
}
