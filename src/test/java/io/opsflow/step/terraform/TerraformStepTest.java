package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Engine- and process-free tests of TerraformStep: plan JSON parsing (fixtures are real Terraform 1.11.4 output of
 * the sandbox-staging root, captured from {@code show -json} / {@code output -json}), var-file validation and content,
 * binary candidates. The step against the CLI double is in TerraformDoubleIT, against a real binary in
 * TerraformRealBinaryIT.
 */
class TerraformStepTest {

    private static String fixture(String name) throws IOException {
        return Files.readString(Path.of("src/test/resources/terraform-fixtures", name));
    }

    @Test
    void summarisesARealPlanWithUpdatesAndCreates() throws IOException {
        PlanSummary s = TerraformStep.parsePlanJson(fixture("show-plan-update-and-create.json"), Path.of("/p.tfplan"),
                "abc", true);
        assertThat(s.add()).isEqualTo(1);
        assertThat(s.change()).isEqualTo(2);
        assertThat(s.destroy()).isZero();
        assertThat(s.resourceChanges()).extracting(ResourceChange::address).containsExactly(
                "module.fleet.terraform_data.host[0]", "module.fleet.terraform_data.host[1]",
                "module.fleet.terraform_data.host[2]");
        assertThat(s.resourceChanges().get(2).actions()).containsExactly("create");
        assertThat(s.describe()).startsWith("Plan: 1 to add, 2 to change, 0 to destroy.")
                .contains("+ module.fleet.terraform_data.host[2] (create)")
                .contains("~ module.fleet.terraform_data.host[0] (update)");
        assertThat(s.sha256()).isEqualTo("abc");
        assertThat(s.planFile()).isEqualTo(Path.of("/p.tfplan"));
    }

    @Test
    void summarisesARealScaleDownAndSkipsNoOps() throws IOException {
        PlanSummary s = TerraformStep.parsePlanJson(fixture("show-plan-update-and-delete.json"), Path.of("/p"), "x",
                true);
        assertThat(List.of(s.add(), s.change(), s.destroy())).containsExactly(0, 1, 2);
        assertThat(s.resourceChanges()).extracting(ResourceChange::symbol).containsExactly("~", "-", "-");
    }

    @Test
    void aPlanWithoutResourceChangesHasZeroCounts() throws IOException {
        JsonNode doc = TerraformFixture.JSON.readTree(fixture("show-plan-destroy-empty.json"));
        assertThat(doc.has("resource_changes")).as("real terraform omits the key when nothing changes").isFalse();
        PlanSummary s = TerraformStep.parsePlanJson(doc.toString(), Path.of("/p"), "x", false);
        assertThat(List.of(s.add(), s.change(), s.destroy())).containsExactly(0, 0, 0);
        assertThat(s.resourceChanges()).isEmpty();
        assertThat(s.describe()).startsWith("No changes");
    }

    @Test
    void aReplacementCountsAsOneAddAndOneDestroyLikeTerraform() {
        String json = """
                {"format_version":"1.2","resource_changes":[
                  {"address":"hcloud_server.app[0]","change":{"actions":["delete","create"]}},
                  {"address":"hcloud_server.app[1]","change":{"actions":["create","delete"]}},
                  {"address":"data.hcloud_image.debian","change":{"actions":["read"]}},
                  {"address":"hcloud_network.private","change":{"actions":["no-op"]}}]}""";
        PlanSummary s = TerraformStep.parsePlanJson(json, Path.of("/p"), "x", true);
        assertThat(List.of(s.add(), s.change(), s.destroy())).containsExactly(2, 0, 2);
        assertThat(s.resourceChanges()).extracting(ResourceChange::symbol).containsExactly("-/+", "+/-");
    }

    @Test
    void refusesPlanJsonOfAnUnknownMajorFormat() {
        assertThatThrownBy(() -> TerraformStep.parsePlanJson("{\"format_version\":\"2.0\"}", Path.of("/p"), "x", true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("format_version '2.0'");
        assertThatThrownBy(() -> TerraformStep.parsePlanJson("Error: not json", Path.of("/p"), "x", true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("did not print JSON");
    }

    @Test
    void parsesRealOutputJsonAndHidesSensitiveValues() throws IOException {
        Map<String, Object> out = TerraformStep.parseOutputsJson(fixture("output-3-hosts.json"));
        assertThat(out).containsEntry("host_count", 3).containsEntry("environment", "staging");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> hosts = (List<Map<String, Object>>) out.get("hosts");
        assertThat(hosts).extracting(h -> h.get("name")).containsExactly("staging-app-1", "staging-app-2",
                "staging-app-3");
        assertThat(hosts.get(0)).containsEntry("address", "127.0.0.1").containsEntry("index", 0);

        Map<String, Object> secret = TerraformStep.parseOutputsJson(
                "{\"token\":{\"sensitive\":true,\"type\":\"string\",\"value\":\"s3cr3t\"}}");
        assertThat(secret).containsEntry("token", TerraformStep.SENSITIVE);
        assertThat(secret.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void writesVariablesAsJsonWithPrivatePermissions(@TempDir Path tmp) throws IOException {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("host_count", 3);
        vars.put("base_name", "web; $(rm -rf /) `id` \"quoted\"\nnext");
        vars.put("admin_cidrs", List.of("10.0.0.0/8"));
        vars.put("labels", Map.of("team", "ops"));
        vars.put("backups", true);
        Path f = TerraformStep.writeVarFile(vars, tmp.resolve("run"));
        assertThat(f).isEqualTo(tmp.resolve("run/vars.tfvars.json"));
        JsonNode doc = TerraformFixture.JSON.readTree(f.toFile());
        assertThat(doc.get("host_count").intValue()).isEqualTo(3);
        assertThat(doc.get("base_name").asText()).isEqualTo("web; $(rm -rf /) `id` \"quoted\"\nnext");
        assertThat(doc.get("admin_cidrs").get(0).asText()).isEqualTo("10.0.0.0/8");
        assertThat(doc.get("labels").get("team").asText()).isEqualTo("ops");
        assertThat(doc.get("backups").booleanValue()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        assertThat(TerraformStep.writeVarFile(Map.of(), tmp.resolve("empty"))).content().isEqualToIgnoringWhitespace("{}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Host_count", "1host", "host-count", "host count", "host_count;rm", "-destroy",
            "-var-file=/etc/passwd", "x=1", "host\ncount", "_x", "äbc",
            "a2345678901234567890123456789012345678901234567890123456789012345"})
    void refusesHostileOrInvalidVariableNamesBeforeWritingAnything(String name, @TempDir Path tmp) {
        Path run = tmp.resolve("run");
        assertThatThrownBy(() -> TerraformStep.writeVarFile(Map.of(name, "v"), run))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid Terraform variable name");
        assertThat(run).doesNotExist();
    }

    @Test
    void acceptsTheLongestAllowedName(@TempDir Path tmp) {
        String name = "a" + "b".repeat(63);
        assertThat(TerraformStep.writeVarFile(Map.of(name, 1), tmp)).exists();
    }

    @Test
    void refusesValuesThatAreNotJsonData(@TempDir Path tmp) {
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("host_count", null);
        assertThatThrownBy(() -> TerraformStep.writeVarFile(withNull, tmp.resolve("a")))
                .hasMessageContaining("host_count is null");
        assertThatThrownBy(() -> TerraformStep.writeVarFile(Map.of("x", Double.NaN), tmp.resolve("b")))
                .hasMessageContaining("not a finite number");
        assertThatThrownBy(() -> TerraformStep.writeVarFile(Map.of("x", List.of(new Object())), tmp.resolve("c")))
                .hasMessageContaining("x[0] has unsupported type Object");
        assertThatThrownBy(() -> TerraformStep.writeVarFile(Map.of("x", Map.of(1, "a")), tmp.resolve("d")))
                .hasMessageContaining("non-string key");
        assertThat(tmp.resolve("a")).doesNotExist();
    }

    @Test
    void sha256IsTheHexDigestOfTheBytes() {
        assertThat(TerraformStep.sha256("abc".getBytes())).isEqualTo(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void binaryDefaultsToTerraformThenTofuUnlessConfigured() {
        TerraformProperties p = new TerraformProperties();
        assertThat(p.binaryCandidates()).containsExactly("terraform", "tofu");
        p.setBinary(" tofu ");
        assertThat(p.binaryCandidates()).containsExactly("tofu");
    }

    @Test
    void runDirIsPerProcessInstanceAndRejectsPathTricks(@TempDir Path tmp) {
        TerraformProperties p = new TerraformProperties();
        p.setWorkDir(tmp.resolve("var/terraform"));
        TerraformStep step = new TerraformStep(null, p);
        assertThat(step.runDir("b7f3c2e1-0b5e-11ef-9a0c-0242ac120002"))
                .isEqualTo(tmp.resolve("var/terraform/b7f3c2e1-0b5e-11ef-9a0c-0242ac120002"));
        for (String bad : new String[] {"../x", "a/b", "", ".."}) {
            assertThatThrownBy(() -> step.runDir(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void relativeRootsResolveUnderTheTerraformDirFirstThenTheWorkingDirectory(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("tf/environments/sandbox-staging"));
        TerraformProperties p = new TerraformProperties();
        p.setDir(tmp.resolve("tf"));
        TerraformStep step = new TerraformStep(null, p);
        assertThat(step.resolveRoot("environments/sandbox-staging"))
                .isEqualTo(tmp.resolve("tf/environments/sandbox-staging"));
        assertThat(step.resolveRoot("terraform/environments/sandbox-staging"))
                .isEqualTo(Path.of("terraform/environments/sandbox-staging").toAbsolutePath());
        assertThat(step.resolveRoot("/srv/tf/../tf/prod")).isEqualTo(Path.of("/srv/tf/prod"));
    }

    @Test
    void terraformVarsComeFromAMapOrAJsonObjectString() {
        assertThat(TerraformExecutionContext.parseVars(null)).isEmpty();
        assertThat(TerraformExecutionContext.parseVars(Map.of("host_count", 3))).containsEntry("host_count", 3);
        assertThat(TerraformExecutionContext.parseVars("{\"host_count\": 4, \"base_name\": \"app\"}"))
                .containsEntry("host_count", 4).containsEntry("base_name", "app");
        assertThatThrownBy(() -> TerraformExecutionContext.parseVars("[1]"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("terraformVars");
        assertThatThrownBy(() -> TerraformExecutionContext.parseVars(42))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Integer");
    }
}
