package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.BinaryNotFoundException;
import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandTimeoutException;
import io.opsflow.step.exec.StepLogs;

/**
 * TerraformStep against the Terraform CLI double (src/test/resources/terraform-double/terraform, found first on
 * PATH) on a copy of the repository's sandbox-staging root: exact argv and environment, exit-code mapping, plan
 * summary, apply of exactly the approved plan, destroy, outputs, hostile input.
 */
class TerraformDoubleIT {
    @TempDir
    Path tmp;
    TerraformFixture fx;
    TerraformStep step;
    Path runDir;
    StepLogs.MemoryStepLog log;

    @BeforeEach
    void setUp() {
        fx = new TerraformFixture(tmp);
        step = fx.doubleStep();
        runDir = step.runDir("pi-1");
        log = StepLogs.memory();
    }

    @Test
    void initPlanApplyOutputRunExactlyTheseCommandsInTheRoot() throws IOException {
        step.init(fx.stagingRoot, log);
        assertThat(fx.lastArgv()).containsExactly("init", "-input=false", "-no-color");
        JsonNode init = fx.invocations().get(0);
        assertThat(Path.of(init.get("cwd").asText())).isEqualTo(fx.stagingRoot);
        assertThat(init.get("env").get("TF_IN_AUTOMATION").asText()).isEqualTo("1");
        assertThat(init.get("env").get("CHECKPOINT_DISABLE").asText()).isEqualTo("1");
        assertThat(step.binaryInUse()).isEqualTo("terraform");

        PlanSummary plan = step.plan(fx.stagingRoot, Map.of("host_count", 3), runDir, log);
        Path planFile = runDir.resolve("plan.tfplan");
        Path varFile = runDir.resolve("vars.tfvars.json");
        assertThat(fx.allArgv().subList(1, 3)).containsExactly(
                List.of("plan", "-input=false", "-no-color", "-lock-timeout=60s", "-var-file=" + varFile,
                        "-out=" + planFile, "-detailed-exitcode"),
                List.of("show", "-json", planFile.toString()));
        assertThat(TerraformFixture.JSON.readTree(varFile.toFile()).toString()).isEqualTo("{\"host_count\":3}");
        assertThat(plan.hasChanges()).isTrue();
        assertThat(List.of(plan.add(), plan.change(), plan.destroy())).containsExactly(3, 0, 0);
        assertThat(plan.resourceChanges()).extracting(ResourceChange::address).containsExactly(
                "module.fleet.terraform_data.host[0]", "module.fleet.terraform_data.host[1]",
                "module.fleet.terraform_data.host[2]");
        assertThat(plan.resourceChanges()).allSatisfy(rc -> assertThat(rc.actions()).containsExactly("create"));
        assertThat(plan.planFile()).isEqualTo(planFile);
        assertThat(plan.sha256()).isEqualTo(TerraformStep.sha256(planFile)).hasSize(64);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(planFile))).isEqualTo("r--------");

        ApplyResult applied = step.apply(fx.stagingRoot, planFile, plan.sha256(), log);
        assertThat(applied.alreadyApplied()).isFalse();
        Path copy = runDir.resolve("apply-" + plan.sha256().substring(0, 16) + ".tfplan");
        assertThat(fx.lastArgv()).containsExactly("apply", "-input=false", "-no-color", "-lock-timeout=60s",
                copy.toString());
        assertThat(copy).as("private copy removed after apply").doesNotExist();
        assertThat(fx.stagingRoot.resolve("terraform.tfstate")).exists();

        Map<String, Object> outputs = step.outputs(fx.stagingRoot, log);
        assertThat(fx.lastArgv()).containsExactly("output", "-json");
        assertThat(outputs).containsEntry("host_count", 3).containsEntry("environment", "staging");
        assertThat(hostNames(outputs)).containsExactly("staging-web-1", "staging-web-2", "staging-web-3");

        PlanSummary again = step.plan(fx.stagingRoot, Map.of("host_count", 3), runDir, log);
        assertThat(again.hasChanges()).as("exit 0 of plan -detailed-exitcode = no changes").isFalse();
        assertThat(List.of(again.add(), again.change(), again.destroy())).containsExactly(0, 0, 0);
        assertThat(log.lines()).anyMatch(l -> l.startsWith("[cmd] $ terraform plan -input=false"))
                .anyMatch(l -> l.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."));
        assertThat(log.lines()).as("show -json/output -json stdout stays out of the log")
                .noneMatch(l -> l.contains("\"format_version\""));
    }

    @Test
    void childEnvironmentIsTheAllowListPlusTerraformSettings() {
        Map<String, String> hostEnv = new HashMap<>(System.getenv());
        hostEnv.put("PATH", TerraformFixture.DOUBLE.getParent() + ":" + System.getenv("PATH"));
        hostEnv.put("OPSFLOW_DB_PASSWORD", "must-not-leak");
        hostEnv.put("TF_VAR_host_count", "9");
        TerraformStep s = new TerraformStep(new CommandRunner(CommandRunner.DEFAULT_ALLOWED_ENV, hostEnv),
                fx.doubleProps());
        s.init(fx.stagingRoot, log);
        List<String> names = TerraformFixture.JSON.convertValue(fx.invocations().get(0).get("envNames"), List.class);
        assertThat(names).contains("TF_IN_AUTOMATION", "TF_INPUT", "PATH")
                .doesNotContain("OPSFLOW_DB_PASSWORD", "TF_VAR_host_count");
    }

    @Test
    void secretEnvironmentIsResolvedAtExecutionAndMaskedInTheLog() throws IOException {
        Path token = tmp.resolve("hcloud-token");
        Files.writeString(token, "tok-123-secret\n");
        TerraformProperties p = fx.doubleProps();
        p.setSecretEnv(Map.of("HCLOUD_TOKEN", "file:" + token));
        p.getEnv().put("TF_DOUBLE_FAIL", "init");
        TerraformStep s = new TerraformStep(TerraformFixture.runnerWithPathFirst(TerraformFixture.DOUBLE.getParent()), p);
        log.addSecret("tok-123-secret");
        assertThatThrownBy(() -> s.init(fx.stagingRoot, log)).isInstanceOf(CommandFailedException.class);
        List<String> names = TerraformFixture.JSON.convertValue(fx.invocations().get(0).get("envNames"), List.class);
        assertThat(names).contains("HCLOUD_TOKEN");
        assertThat(String.join("\n", log.lines())).doesNotContain("tok-123-secret");
    }

    @Test
    void planErrorsAreExitCodeOneFailuresWithTerraformsMessage() {
        step.init(fx.stagingRoot, log);
        assertThatThrownBy(() -> step.plan(fx.stagingRoot, Map.of("host_count", -1), runDir, log))
                .isInstanceOfSatisfying(CommandFailedException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.stderrTail()).contains("Invalid value for variable")
                            .contains("The host_count must be a whole number between 0 and 20.");
                    assertThat(e.getMessage()).contains("terraform plan");
                });
        assertThat(runDir.resolve("plan.tfplan")).doesNotExist();
        assertThatThrownBy(() -> step.plan(fx.stagingRoot, Map.of("host_count", "three"), runDir, log))
                .isInstanceOfSatisfying(CommandFailedException.class,
                        e -> assertThat(e.stderrTail()).contains("a number is required"));
    }

    @Test
    void planBeforeInitFailsWithModuleNotInstalled() {
        assertThatThrownBy(() -> step.plan(fx.stagingRoot, Map.of(), runDir, log))
                .isInstanceOfSatisfying(CommandFailedException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.stderrTail()).contains("Module not installed");
                });
    }

    @Test
    void hostileValuesNeverReachTheCommandLine() {
        step.init(fx.stagingRoot, log);
        String hostile = "web$(touch " + tmp.resolve("pwned") + ")`id`;rm -rf /";
        assertThatThrownBy(() -> step.plan(fx.stagingRoot, Map.of("base_name", hostile), runDir, log))
                .isInstanceOfSatisfying(CommandFailedException.class,
                        e -> assertThat(e.stderrTail()).contains("base_name must match"));
        assertThat(fx.allArgv()).allSatisfy(argv -> assertThat(String.join(" ", argv)).doesNotContain("touch"));
        assertThat(tmp.resolve("pwned")).doesNotExist();
    }

    @Test
    void hostileVariableNamesAreRefusedBeforeAnyCommandRuns() {
        for (String name : List.of("host_count -destroy", "-destroy", "HOST_COUNT", "x=1", "a b")) {
            assertThatThrownBy(() -> step.plan(fx.stagingRoot, Map.of(name, 1), runDir, log))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(name);
        }
        assertThat(fx.invocations()).isEmpty();
        assertThat(runDir).doesNotExist();
    }

    @Test
    void applyRefusesAWrongHashAndRunsNothing() {
        step.init(fx.stagingRoot, log);
        PlanSummary plan = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        String other = "0".repeat(64);
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, plan.planFile(), other, log))
                .isInstanceOfSatisfying(PlanMismatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.HASH_DIFFERS);
                    assertThat(e.getMessage()).contains(plan.sha256()).contains(other);
                });
        assertNoApply();
    }

    @Test
    void applyRefusesAMissingPlanOrAMissingApprovedHash() throws IOException {
        step.init(fx.stagingRoot, log);
        PlanSummary plan = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, plan.planFile(), null, log))
                .isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.NO_APPROVED_HASH));
        Files.delete(plan.planFile());
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, plan.planFile(), plan.sha256(), log))
                .isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.MISSING));
        assertNoApply();
    }

    @Test
    void applyRefusesAPlanFileTamperedWithAfterPlanning() throws IOException {
        step.init(fx.stagingRoot, log);
        PlanSummary plan = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        Files.setPosixFilePermissions(plan.planFile(), PosixFilePermissions.fromString("rw-------"));
        Files.write(plan.planFile(), new byte[] {0}, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, plan.planFile(), plan.sha256(), log))
                .isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.HASH_DIFFERS));
        assertNoApply();
    }

    @Test
    void aNewerPlanInPlaceOfTheApprovedOneIsRefused() {
        step.init(fx.stagingRoot, log);
        PlanSummary approved = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        PlanSummary replaced = step.plan(fx.stagingRoot, Map.of("host_count", 7), runDir, log);
        assertThat(replaced.planFile()).isEqualTo(approved.planFile());
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, approved.planFile(), approved.sha256(), log))
                .isInstanceOf(PlanMismatchException.class);
        assertNoApply();
    }

    @Test
    void aPlanMadeStaleByAnotherApplyIsRefusedByTerraform() {
        step.init(fx.stagingRoot, log);
        PlanSummary first = step.plan(fx.stagingRoot, Map.of("host_count", 2), step.runDir("run-a"), log);
        PlanSummary second = step.plan(fx.stagingRoot, Map.of("host_count", 4), step.runDir("run-b"), log);
        step.apply(fx.stagingRoot, first.planFile(), first.sha256(), log);
        assertThatThrownBy(() -> step.apply(fx.stagingRoot, second.planFile(), second.sha256(), log))
                .isInstanceOfSatisfying(PlanMismatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.STALE);
                    assertThat(e.getMessage()).contains("stale");
                });
        assertThat(hostNames(step.outputs(fx.stagingRoot, log))).hasSize(2);
    }

    @Test
    void aRetriedApplyOfTheSamePlanDoesNotApplyTwice() {
        step.init(fx.stagingRoot, log);
        PlanSummary plan = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        step.apply(fx.stagingRoot, plan.planFile(), plan.sha256(), log);
        ApplyResult again = step.apply(fx.stagingRoot, plan.planFile(), plan.sha256(), log);
        assertThat(again.alreadyApplied()).isTrue();
        assertThat(fx.allArgv().stream().filter(a -> a.get(0).equals("apply")).count()).isEqualTo(1);
    }

    @Test
    void destroyIsAPlanWithDestroyThenApply() {
        step.init(fx.stagingRoot, log);
        PlanSummary create = step.plan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        step.apply(fx.stagingRoot, create.planFile(), create.sha256(), log);

        PlanSummary destroy = step.destroyPlan(fx.stagingRoot, Map.of("host_count", 2), runDir, log);
        Path destroyFile = runDir.resolve("destroy.tfplan");
        assertThat(fx.allArgv()).contains(List.of("plan", "-input=false", "-no-color", "-lock-timeout=60s",
                "-destroy", "-var-file=" + runDir.resolve("vars.tfvars.json"), "-out=" + destroyFile,
                "-detailed-exitcode"));
        assertThat(destroy.planFile()).isEqualTo(destroyFile);
        assertThat(List.of(destroy.add(), destroy.change(), destroy.destroy())).containsExactly(0, 0, 2);
        assertThat(destroy.resourceChanges()).allSatisfy(rc -> assertThat(rc.actions()).containsExactly("delete"));

        step.apply(fx.stagingRoot, destroy.planFile(), destroy.sha256(), log);
        assertThat(step.outputs(fx.stagingRoot, log)).isEmpty();
        PlanSummary nothingLeft = step.destroyPlan(fx.stagingRoot, Map.of(), runDir, log);
        assertThat(nothingLeft.hasChanges()).isFalse();
    }

    @Test
    void scalingDownDeletesTheHighestHosts() {
        step.init(fx.stagingRoot, log);
        PlanSummary up = step.plan(fx.stagingRoot, Map.of("host_count", 3), runDir, log);
        step.apply(fx.stagingRoot, up.planFile(), up.sha256(), log);
        PlanSummary down = step.plan(fx.stagingRoot, Map.of("host_count", 1), runDir, log);
        assertThat(down.resourceChanges()).extracting(ResourceChange::address).containsExactly(
                "module.fleet.terraform_data.host[1]", "module.fleet.terraform_data.host[2]");
        step.apply(fx.stagingRoot, down.planFile(), down.sha256(), log);
        assertThat(hostNames(step.outputs(fx.stagingRoot, log))).containsExactly("staging-web-1");
    }

    @Test
    void outputsAreEmptyBeforeAnyApply() {
        step.init(fx.stagingRoot, log);
        assertThat(step.outputs(fx.stagingRoot, log)).isEmpty();
    }

    @Test
    void aConfiguredBinaryPathIsUsedAndAMissingOneIsATypedFailure() {
        TerraformProperties p = fx.doubleProps();
        p.setBinary(TerraformFixture.DOUBLE.toString());
        TerraformStep explicit = new TerraformStep(new CommandRunner(), p);
        explicit.init(fx.stagingRoot, log);
        assertThat(explicit.binaryInUse()).isEqualTo(TerraformFixture.DOUBLE.toString());

        p.setBinary(tmp.resolve("no-such/terraform").toString());
        assertThatThrownBy(() -> new TerraformStep(new CommandRunner(), p).init(fx.stagingRoot, log))
                .isInstanceOf(BinaryNotFoundException.class).hasMessageContaining("opsflow.terraform.binary");
    }

    @Test
    void withNeitherTerraformNorTofuOnPathTheFailureSaysWhatToInstall() throws IOException {
        Path emptyBin = Files.createDirectories(tmp.resolve("bin"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PATH", emptyBin.toString());
        TerraformStep s = new TerraformStep(new CommandRunner(CommandRunner.DEFAULT_ALLOWED_ENV, env), fx.doubleProps());
        assertThatThrownBy(() -> s.init(fx.stagingRoot, log)).isInstanceOf(BinaryNotFoundException.class)
                .hasMessageContaining("terraform or tofu").hasMessageContaining("install Terraform or OpenTofu");
    }

    @Test
    void tofuIsUsedWhenTerraformIsAbsent() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("tofu-bin"));
        Files.createSymbolicLink(bin.resolve("tofu"), TerraformFixture.DOUBLE);
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PATH", bin + ":/usr/bin:/bin");
        TerraformStep s = new TerraformStep(new CommandRunner(CommandRunner.DEFAULT_ALLOWED_ENV, env), fx.doubleProps());
        s.init(fx.stagingRoot, log);
        assertThat(s.binaryInUse()).isEqualTo("tofu");
    }

    @Test
    void aRootWithoutConfigurationIsRefusedBeforeRunningAnything() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty-root"));
        assertThatThrownBy(() -> step.init(empty, log)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("contains no .tf files");
        assertThatThrownBy(() -> step.init(tmp.resolve("nope"), log)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("terraform-root");
        assertThat(fx.invocations()).isEmpty();
    }

    @Test
    void aHangingApplyIsKilledAtTheTimeout() {
        TerraformProperties p = fx.doubleProps();
        p.getEnv().put("TF_DOUBLE_APPLY_DELAY", "30");
        p.setApplyTimeout(Duration.ofSeconds(2));
        TerraformStep slow = new TerraformStep(TerraformFixture.runnerWithPathFirst(TerraformFixture.DOUBLE.getParent()), p);
        slow.init(fx.stagingRoot, log);
        PlanSummary plan = slow.plan(fx.stagingRoot, Map.of("host_count", 1), runDir, log);
        assertThatThrownBy(() -> slow.apply(fx.stagingRoot, plan.planFile(), plan.sha256(), log))
                .isInstanceOf(CommandTimeoutException.class).hasMessageContaining("terraform apply");
        assertThat(TerraformStep.appliedMarker(plan.planFile())).doesNotExist();
    }

    private void assertNoApply() {
        assertThat(fx.allArgv()).noneMatch(a -> a.get(0).equals("apply"));
        assertThat(fx.stagingRoot.resolve("terraform.tfstate")).doesNotExist();
        try (Stream<Path> s = Files.list(runDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("apply-"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> hostNames(Map<String, Object> outputs) {
        return ((List<Map<String, Object>>) outputs.get("hosts")).stream().map(h -> (String) h.get("name")).toList();
    }
}
