package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RestClient;

/**
 * The step log API as an operator meets it: {@code GET /api/runs/{pi}/logs} names each log by activity instance id,
 * size and link, never by where it lies on the server; the link serves the log. Ids that are not step log ids
 * (traversal, absolute paths, slashes, very long) are refused with 400 or 404, the answer reveals no server path, and
 * nothing outside the run's own log folder is ever served.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"opsflow.sandbox.enabled=false", "camunda.bpm.job-execution.enabled=false"})
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
        Files.writeString(logs.root().resolve("secret.log"), SECRET);
        write("another-run", "Task_Other:1", SECRET);
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
        assertThat(fields(approve)).containsExactly("activityInstanceId", "activityId", "bytes", "href");
        assertThat(approve.get("activityId").asText()).isEqualTo("Task_Approve");
        assertThat(approve.get("bytes").asLong()).isEqualTo(Files.size(logs.locate(pi, approveInstance)));
        assertThat(approve.get("href").asText()).isEqualTo("/api/runs/" + pi + "/logs/" + approveInstance);

        JsonNode build = entry(list, "Task_Build-exec-7");
        assertThat(fields(build)).as("no activity instance in history: no activityId")
                .containsExactly("activityInstanceId", "bytes", "href");

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
        // the file name form of the id (':' as '_') names the same log
        assertThat(operator.get("/api/runs/" + pi + "/logs/" + approveInstance.replace(':', '_')).body())
                .contains("waiting for a second person");
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

        // a link in the run's folder to a file elsewhere on the server is neither listed nor served
        Files.createSymbolicLink(logs.root().resolve(pi).resolve("Task_Evil_1.log"), var.resolve("secret.log"));
        RestClient.Response viaLink = operator.get(base + "Task_Evil:1");
        assertThat(viaLink.status()).isEqualTo(404);
        assertThat(viaLink.body()).doesNotContain(SECRET);
        assertThat(operator.get("/api/runs/" + pi + "/logs").body()).doesNotContain("Task_Evil");
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
