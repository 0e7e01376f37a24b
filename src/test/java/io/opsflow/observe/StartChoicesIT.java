package io.opsflow.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupTargets;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * The read API of the start forms against the sandbox: the applications and versions its artifact store holds (read
 * on a host through artifact-list.sh), the backup targets, and the misuse cases (unknown environment, no
 * credentials, an application name with path tricks), and the server refusing a start whose version the store does
 * not hold.
 */
@SandboxApp.Test
class StartChoicesIT {
    @LocalServerPort
    int port;
    @Autowired
    ArtifactCatalog catalog;
    @Autowired
    BackupTargets backupTargets;
    @Autowired
    ProcessEngine engine;

    @Test
    void listsTheApplicationsAndVersionsOfTheArtifactStoreNewestFirst() {
        RestClient.Response r = RestClient.as(port, "operator").get("/api/environments/staging/applications");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode apps = r.json().get("applications");
        assertThat(names(apps)).containsExactly("api", "webapp");
        assertThat(texts(apps.get(0).get("versions"))).containsExactly("1.1.0", "1.0.0");
        assertThat(texts(apps.get(1).get("versions"))).containsExactly("2.0.0-broken", "1.2.0", "1.1.0", "1.0.0");

        RestClient.Response v = RestClient.as(port, "approver").get("/api/environments/production/applications/webapp"
                + "/versions");
        assertThat(v.status()).as(v.body()).isEqualTo(200);
        assertThat(texts(v.json().get("versions"))).containsExactly("2.0.0-broken", "1.2.0", "1.1.0", "1.0.0");

        RestClient.Response none = RestClient.as(port, "operator").get("/api/environments/staging/applications/nope"
                + "/versions");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.json().get("message").asText()).isEqualTo("the artifact store of staging holds no version"
                + " of nope");
    }

    @Test
    void listsTheBackupTargetsOfTheEnvironment() {
        RestClient.Response r = RestClient.as(port, "operator").get("/api/environments/staging/backup-targets");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(names(r.json().get("targets"))).isNotEmpty().containsExactlyElementsOf(backupTargets.names("staging"));
        assertThat(r.json().get("targets").get(0).get("kind").asText()).isNotBlank();
    }

    @Test
    void anUnknownEnvironmentIs404NoCredentials401AndAPathTrickIs400WithNothingRunOnAHost() {
        for (String path : List.of("/applications", "/applications/webapp/versions", "/backup-targets")) {
            RestClient.Response unknown = RestClient.as(port, "operator").get("/api/environments/nowhere" + path);
            assertThat(unknown.status()).as(path).isEqualTo(404);
            assertThat(unknown.json().get("message").asText()).startsWith("unknown environment 'nowhere'");
            assertThat(RestClient.anonymous(port).get("/api/environments/staging" + path).status()).as(path)
                    .isEqualTo(401);
            assertThat(RestClient.as(port, "operator").get("/api/environments/staging" + path).status()).as(path)
                    .isEqualTo(200);
        }
        long before = catalog.listings();
        for (String app : List.of("..%2Fx", "..%5Cx", "-rf", "x%3Bid", "Webapp", "a%20b", "%2E%2E")) {
            RestClient.Response r = RestClient.as(port, "operator").get("/api/environments/staging/applications/" + app
                    + "/versions");
            assertThat(r.status()).as(app + ": " + r.body()).isEqualTo(400);
        }
        assertThat(catalog.listings()).as("nothing listed on any host").isEqualTo(before);
    }

    @Test
    void aStartWithAVersionTheStoreDoesNotHoldIsRefusedAndNothingStarts() {
        long before = engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("release-version").count();
        assertThat(refusedStart("release-version", "webapp", "9.9.9")).contains("version: webapp 9.9.9 is not in the "
                + "artifact store of staging; it holds 2.0.0-broken, 1.2.0, 1.1.0, 1.0.0");
        assertThat(refusedStart("deploy-application", "api", "1.2.0")).contains("version: api 1.2.0 is not in the "
                + "artifact store of staging; it holds 1.1.0, 1.0.0");
        assertThat(refusedStart("migrate-database", "webapp", "1.3.0")).contains("version: webapp 1.3.0 is not in the "
                + "artifact store of staging");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("release-version").count()).isEqualTo(before);
        assertThat(engine.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("deploy-application")
                .count()).isZero();
    }

    /** Starts {@code key} in staging over REST with that application and version; expects 400, returns the body. */
    private String refusedStart(String key, String application, String version) {
        RestClient.Response r = RestClient.as(port, "operator").post("/engine-rest/process-definition/key/" + key
                + "/start", RestClient.variables("environment", "staging", "application", application, "version",
                version, "reason", "CHG-1: forged version"));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        return r.body();
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    private static List<String> texts(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
