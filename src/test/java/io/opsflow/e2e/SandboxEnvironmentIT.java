package io.opsflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/** The whole application in sandbox mode: the environment API reports what really runs on the fleet. */
@SandboxApp.Test
class SandboxEnvironmentIT {
    @LocalServerPort
    int port;

    @Test
    void environmentApiReportsTheLiveFleet() {
        RestClient op = RestClient.as(port, "operator");
        JsonNode staging = op.get("/api/environments/staging").json();
        assertThat(staging.get("name").asText()).isEqualTo("staging");
        assertThat(staging.get("requiresApproval").asBoolean()).isFalse();
        assertThat(staging.get("loadBalancer").get("url").asText()).startsWith("http://127.0.0.1:");
        assertThat(staging.get("hosts")).hasSize(2);
        for (JsonNode h : staging.get("hosts")) {
            assertThat(h.get("reachable").asBoolean()).as(h.toString()).isTrue();
            assertThat(h.get("sshPort").asInt()).isPositive();
            JsonNode webapp = null;
            for (JsonNode i : h.get("instances")) {
                if (i.get("application").asText().equals("webapp") && i.get("healthy").asBoolean()) {
                    webapp = i;
                }
            }
            assertThat(webapp).as("a healthy webapp instance on " + h.get("name")).isNotNull();
            assertThat(webapp.get("version").asText()).isNotBlank();
            String version = RestClient.anonymous(0).getAbsolute(webapp.get("url").asText() + "/version")
                    .json().get("version").asText();
            assertThat(webapp.get("version").asText()).isEqualTo(version);
        }
        assertThat(op.get("/api/environments/production").json().get("hosts")).hasSize(3);
    }
}
