package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RealComponent;

/**
 * The same flow against a real {@code terraform} or {@code tofu} found on PATH, offline (the sandbox roots use only
 * the built-in terraform_data resource), and the CLI double checked against it step by step.
 *
 * <p>Skipped when neither binary is on PATH — deliberately ALSO under CI=true: our CI machines cannot install
 * Terraform, and TerraformDoubleIT covers the step there with the double. This is the one exception to the
 * "missing real component fails under CI" rule (see README, "Terraform").
 */
class TerraformRealBinaryIT {
    @TempDir
    Path tmp;
    Path realBinary;

    @BeforeEach
    void findRealBinary() {
        Optional<Path> found = RealComponent.which("terraform").or(() -> RealComponent.which("tofu"));
        if (found.isEmpty()) {
            String msg = "SKIPPED (also under CI=true, by design): no real terraform or tofu on PATH; "
                    + "TerraformDoubleIT covers the Terraform step with the CLI double";
            System.err.println("!!!!! " + msg);
            Assumptions.abort(msg);
        }
        realBinary = found.get().toAbsolutePath();
        assertThat(realBinary).as("the CLI double must not stand in for the real binary here")
                .isNotEqualTo(TerraformFixture.DOUBLE);
    }

    private TerraformStep step(Path binary, TerraformFixture fx) {
        TerraformProperties p = new TerraformProperties();
        p.setBinary(binary.toString());
        p.setWorkDir(fx.workDir);
        return new TerraformStep(new CommandRunner(), p);
    }

    @Test
    void realBinaryInitPlansAppliesExactlyTheApprovedPlanAndDestroysOffline() {
        TerraformFixture fx = new TerraformFixture(tmp);
        TerraformStep step = step(realBinary, fx);
        StepLogs.MemoryStepLog log = StepLogs.memory();
        Path root = fx.productionRoot;

        step.init(root, log);
        PlanSummary plan = step.plan(root, Map.of(), step.runDir("real-1"), log);
        assertThat(plan.hasChanges()).isTrue();
        assertThat(List.of(plan.add(), plan.change(), plan.destroy())).containsExactly(3, 0, 0);

        assertThatThrownBy(() -> step.apply(root, plan.planFile(), "0".repeat(64), log))
                .isInstanceOf(PlanMismatchException.class);
        assertThat(root.resolve("terraform.tfstate")).doesNotExist();

        step.apply(root, plan.planFile(), plan.sha256(), log);
        Map<String, Object> outputs = step.outputs(root, log);
        assertThat(outputs).containsEntry("host_count", 3).containsEntry("environment", "production");
        assertThat(TerraformDoubleIT.hostNames(outputs)).containsExactly("production-web-1", "production-web-2",
                "production-web-3");

        PlanSummary same = step.plan(root, Map.of(), step.runDir("real-2"), log);
        assertThat(same.hasChanges()).isFalse();

        PlanSummary destroy = step.destroyPlan(root, Map.of(), step.runDir("real-3"), log);
        assertThat(destroy.destroy()).isEqualTo(3);
        step.apply(root, destroy.planFile(), destroy.sha256(), log);
        assertThat(step.outputs(root, log)).isEmpty();
        assertThat(log.lines()).anyMatch(l -> l.contains("Apply complete! Resources: 0 added, 0 changed, 3 destroyed."));
    }

    /** Runs one scenario against the real binary and the double (separate copies of the tree) and compares. */
    @Test
    void theCliDoubleBehavesLikeTheRealBinary() {
        List<String> real = scenario(realBinary, new TerraformFixture(tmp.resolve("real")));
        List<String> dbl = scenario(TerraformFixture.DOUBLE, new TerraformFixture(tmp.resolve("double")));
        real.forEach(l -> System.out.println("real:   " + l));
        dbl.forEach(l -> System.out.println("double: " + l));
        assertThat(real).as("every step of the scenario recorded").hasSize(18);
        assertThat(dbl).containsExactlyElementsOf(real);
    }

    private List<String> scenario(Path binary, TerraformFixture fx) {
        TerraformStep step = step(binary, fx);
        StepLogs.MemoryStepLog log = StepLogs.memory();
        Path root = fx.stagingRoot;
        List<String> trace = new ArrayList<>();
        step.init(root, log);
        trace.add("outputs before apply " + step.outputs(root, log));

        PlanSummary two = step.plan(root, Map.of("host_count", 2), step.runDir("a"), log);
        trace.add("plan 2: " + describe(two));
        PlanSummary four = step.plan(root, Map.of("host_count", 4, "base_name", "app"), step.runDir("b"), log);
        trace.add("plan 4 app: " + describe(four));
        step.apply(root, two.planFile(), two.sha256(), log);
        trace.add("outputs " + step.outputs(root, log));
        try {
            step.apply(root, four.planFile(), four.sha256(), log);
            trace.add("stale plan applied?!");
        } catch (PlanMismatchException e) {
            trace.add("stale plan: " + e.reason());
        }
        PlanSummary scale = step.plan(root, Map.of("host_count", 3, "base_name", "app"), step.runDir("c"), log);
        trace.add("plan 3 app: " + describe(scale));
        step.apply(root, scale.planFile(), scale.sha256(), log);
        trace.add("outputs " + step.outputs(root, log));
        PlanSummary down = step.plan(root, Map.of("host_count", 1, "base_name", "app"), step.runDir("d"), log);
        trace.add("plan 1: " + describe(down));
        PlanSummary same = step.plan(root, Map.of("host_count", 3, "base_name", "app"), step.runDir("e"), log);
        trace.add("plan unchanged: " + describe(same));
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("host_count", -1),
                Map.of("host_count", 2.5), Map.of("host_count", "abc"), Map.of("environment", "Bad Env"))) {
            try {
                step.plan(root, bad, step.runDir("f"), log);
                trace.add("bad " + bad + " accepted?!");
            } catch (CommandFailedException e) {
                trace.add("bad " + bad + " exit " + e.exitCode() + " " + firstErrorLine(e.stderrTail()));
            }
        }
        PlanSummary undeclared = step.plan(root, Map.of("not_declared", 1, "host_count", 3, "base_name", "app"),
                step.runDir("g"), log);
        trace.add("undeclared variable in var-file (a warning): " + describe(undeclared));
        PlanSummary destroy = step.destroyPlan(root, Map.of(), step.runDir("h"), log);
        trace.add("destroy: " + describe(destroy));
        step.apply(root, destroy.planFile(), destroy.sha256(), log);
        trace.add("outputs after destroy " + step.outputs(root, log));
        PlanSummary empty = step.destroyPlan(root, Map.of(), step.runDir("i"), log);
        trace.add("destroy again: " + describe(empty));
        try {
            Files.delete(fx.stagingRoot.resolve(".terraform/modules/modules.json"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try {
            step.plan(root, Map.of(), step.runDir("j"), log);
        } catch (CommandFailedException e) {
            trace.add("not initialised: exit " + e.exitCode() + " " + firstErrorLine(e.stderrTail()));
        }
        return trace;
    }

    private static String describe(PlanSummary s) {
        return s.hasChanges() + " " + s.add() + "/" + s.change() + "/" + s.destroy() + " " + s.resourceChanges();
    }

    private static String firstErrorLine(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("Error:")).findFirst().orElse(stderr);
    }
}
