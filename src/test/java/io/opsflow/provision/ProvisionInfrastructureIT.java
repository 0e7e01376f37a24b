package io.opsflow.provision;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environments;
import io.opsflow.step.terraform.TerraformProperties;
import io.opsflow.step.terraform.TerraformStep;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * provision-infrastructure end to end on the sandbox with the Terraform CLI double (the real binary is not
 * guaranteed on CI): staging's root (a copy of terraform/, so state never lands in the working tree) first adopts
 * the two hosts the sandbox started with, then one more host is provisioned, configured by Ansible and answers over
 * SSH, then the environment goes back to two hosts.
 */
@SandboxApp.Test
class ProvisionInfrastructureIT {
    static final Path DOUBLE = Path.of("src/test/resources/terraform-double/terraform").toAbsolutePath();

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;
    @Autowired
    TerraformProperties terraformProps;
    @Autowired
    TerraformStep terraform;

    @TempDir
    Path tmp;
    String rootBefore;
    String binaryBefore;

    @BeforeEach
    void useACopyOfTheRootsAndTheDouble() throws IOException {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        copyTree(Path.of("terraform").toAbsolutePath(), tmp.resolve("terraform"));
        rootBefore = environments.get("staging").terraformRoot();
        environments.update("staging", e -> e.withTerraformRoot(
                tmp.resolve("terraform/environments/sandbox-staging").toString()));
        binaryBefore = terraformProps.getBinary();
        if (terraform.binaryInUse() == null) {
            DOUBLE.toFile().setExecutable(true);
            terraformProps.setBinary(DOUBLE.toString());
        }
    }

    @AfterEach
    void restore() {
        environments.update("staging", e -> e.withTerraformRoot(rootBefore));
        terraformProps.setBinary(binaryBefore);
    }

    @Test
    void provisioningOneMoreStagingHostAddsAReachableConfiguredHostAndTakingItAwayRemovesIt() {
        RestClient operator = RestClient.as(port, "operator");
        assertThat(hosts(operator)).hasSize(2);

        // 1. the root adopts the two hosts the sandbox runs (2 to add in Terraform's state, no new sandbox host)
        String adopt = run(operator, 2);
        assertThat(var(adopt, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(adopt, "tfAdd")).isEqualTo(2);
        assertThat(var(adopt, "newHosts")).isEqualTo(List.of());

        // 2. no changes: ends without approval or apply
        String same = run(operator, 2);
        assertThat(var(same, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(same, "tfHasChanges")).isEqualTo(false);
        assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(same)
                .activityId("Task_TerraformApply").count()).isZero();

        // 3. one more host: planned, applied, started by the sandbox, configured by Ansible, reachable
        String grow = run(operator, 3);
        assertThat(var(grow, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) var(grow, "tfResourceChanges")).isEqualTo(
                "+ module.fleet.terraform_data.host[2] (create)");
        assertThat((String) var(grow, "tfPlanSha256")).matches("[0-9a-f]{64}");
        @SuppressWarnings("unchecked")
        List<String> added = (List<String>) var(grow, "newHosts");
        assertThat(added).hasSize(1);
        String newHost = added.get(0);
        assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(grow)
                .activityId("Task_ConfigureHosts").finished().count()).isOne();
        JsonNode three = hosts(operator);
        assertThat(three).hasSize(3);
        JsonNode created = null;
        for (JsonNode h : three) {
            if (h.get("name").asText().equals(newHost)) {
                created = h;
            }
        }
        assertThat(created).as(newHost + " in GET /api/environments/staging").isNotNull();
        assertThat(created.get("reachable").asBoolean()).as(created.toString()).isTrue();

        // 4. back to two: Terraform destroys host[2], the sandbox stops that host
        String shrink = run(operator, 2);
        assertThat(var(shrink, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(shrink, "removedHosts")).isEqualTo(List.of(newHost));
        assertThat(hosts(operator)).hasSize(2);
    }

    private String run(RestClient operator, int hostCount) {
        RestClient.Response r = operator.post("/engine-rest/process-definition/key/provision-infrastructure/start",
                RestClient.variables("environment", "staging", "action", "apply", "hostCount", hostCount,
                        "reason", "provision IT"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String pi = r.json().get("id").asText();
        SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(3));
        return pi;
    }

    private Object var(String pi, String name) {
        var v = engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    private static JsonNode hosts(RestClient operator) {
        return operator.get("/api/environments/staging").json().get("hosts");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path rel = from.relativize(p);
                if (rel.toString().contains(".terraform") || rel.toString().endsWith(".tfstate")
                        || rel.toString().contains(".tfstate.")) {
                    continue;
                }
                Path target = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    try {
                        Files.copy(p, target);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }
    }
}
