package io.opsflow.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.User;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.testsupport.SandboxApp;

/**
 * {@code /actuator/health}: an administrator (camunda-admin, HTTP Basic as on /api) sees details and components,
 * {@code tools} included; an operator and an anonymous probe see {@code {"status":…}} alone; wrong or malformed
 * credentials are no authentication at all (status alone, never an error).
 */
@SandboxApp.Test
class HealthDetailsIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @LocalServerPort
    int port;
    @Autowired
    IdentityService identity;

    JsonNode health(String authorization, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
        return JSON.readTree(r.body());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static void statusOnly(JsonNode health) {
        List<String> fields = new java.util.ArrayList<>();
        health.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).as(health.toString()).containsExactly("status");
    }

    @Test
    void anAdministratorSeesComponentsAndTools() throws Exception {
        JsonNode h = health(basic("admin", "admin"), "/actuator/health");
        assertThat(h.path("components").has("tools")).as(h.toString()).isTrue();
        assertThat(h.path("components").has("db")).as(h.toString()).isTrue();
        assertThat(h.path("components").path("tools").path("details").has("ansible-playbook")).as(h.toString())
                .isTrue();
        JsonNode tools = health(basic("admin", "admin"), "/actuator/health/tools");
        assertThat(tools.path("details").has("ansible-playbook")).as(tools.toString()).isTrue();
    }

    @Test
    void anOperatorAndAnAnonymousProbeSeeTheStatusAlone() throws Exception {
        statusOnly(health(null, "/actuator/health"));
        statusOnly(health(basic("operator", "operator"), "/actuator/health"));
        statusOnly(health(basic("approver", "approver"), "/actuator/health"));
    }

    /** Misuse: a wrong password of an administrator, an unknown user, a malformed header: no details, no error. */
    @Test
    void wrongOrMalformedCredentialsGetNoDetails() throws Exception {
        // an administrator of its own: a failed login delays that user's next logins, which must not hit 'admin'
        String user = "healthadmin" + System.nanoTime();
        User u = identity.newUser(user);
        u.setPassword("right-password");
        identity.saveUser(u);
        identity.createMembership(user, "camunda-admin");
        try {
            statusOnly(health(basic(user, "wrong-password"), "/actuator/health"));
            statusOnly(health(basic("nobody", "nobody"), "/actuator/health"));
            statusOnly(health("Basic not-base64!!", "/actuator/health"));
            statusOnly(health("Basic " + Base64.getEncoder().encodeToString("admin".getBytes()), "/actuator/health"));
            statusOnly(health("Bearer admin", "/actuator/health"));
        } finally {
            identity.deleteUser(user);
        }
    }

    @Test
    void aComponentIsNotReadableWithoutAdministrator() throws Exception {
        for (String auth : new String[] {null, basic("operator", "operator")}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/actuator/health/tools")).GET();
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).doesNotContain("ansible-playbook").doesNotContain("install");
        }
    }
}
