package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import io.opsflow.environments.Environments;
import io.opsflow.step.ParallelSteps;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * {@code terraformPlan} (parallel branches, each its own root) and {@code terraformOutput} (a multi-instance over
 * roots) {@value ParallelSteps#WIDTH} times at once in one run, scripted (no terraform binary): no step job conflicts
 * with another, conflicted join jobs are retried at once, each branch keeps its plan summary, its
 * {@code tfOutputs} and its {@code terraformLogTail} to itself.
 */
class TerraformOutputsProcessTest {
    private static final List<String> PLAN_OUTPUTS = List.of("tfHasChanges", "tfAdd", "tfChange", "tfDestroy",
            "tfResourceChanges", "tfPlanSummary", "tfPlanId", "tfPlanSha256", "tfPlanDestroy", "terraformLogTail");
    @TempDir
    static Path tmp;
    private static ParallelSteps run;

    @BeforeAll
    static void engine() {
        TerraformStep scripted = new TerraformStep(new CommandRunner(), new TerraformProperties(),
                tmp.resolve("var").toString()) {
            @Override
            public Path resolveRoot(String configured) {
                return Path.of(configured);
            }

            @Override
            public PlanSummary plan(Path root, Map<String, ?> vars, Path runDir, StepLog log) {
                run.together();
                String name = root.getFileName().toString();
                return new PlanSummary(1, 0, 0, List.of(new ResourceChange("null_resource." + name,
                        List.of("create"))), runDir.resolve(PLAN_FILE), TerraformStep.sha256(name.getBytes()), true);
            }

            @Override
            public Map<String, Object> outputs(Path root, StepLog log) {
                run.together();
                return Map.of("root", root.getFileName().toString());
            }
        };
        TerraformExecutionContext context = new TerraformExecutionContext(
                new StaticListableBeanFactory().getBeanProvider(Environments.class), scripted);
        StepLogs logs = new StepLogs(tmp.resolve("logs").toString());
        run = new ParallelSteps(Map.of("terraformPlan", new TerraformPlanDelegate(scripted, context, logs),
                "terraformOutput", new TerraformOutputDelegate(scripted, context, logs)));
        run.deployBranches("terraformPlan", i -> Map.of("terraformRoot", "/roots/branch-" + i), "tfPlanSummary");
        run.deployMultiInstance("terraformOutput", "terraformRoot");
    }

    @AfterAll
    static void close() {
        run.close();
    }

    @Test
    void twentyParallelPlansKeepTheirOutputsAndConflictsHoldNothing() throws Exception {
        String pi = run.runBranches();

        Map<String, Object> processLevel = run.processLevelWithout(pi, PLAN_OUTPUTS.toArray(String[]::new));
        assertThat((String) processLevel.get("branch1Output")).contains("null_resource.branch-1")
                .doesNotContain("branch-2");
        assertThat(run.everyValueOf(pi, "tfPlanSha256")).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates();
        assertThat(run.everyValueOf(pi, "tfPlanId")).hasSize(ParallelSteps.WIDTH)
                .allSatisfy(id -> assertThat((String) id).startsWith(pi + "/"));
    }

    @Test
    void aMultiInstanceOfTwentyKeepsEachInstancesOutputs() throws Exception {
        List<String> roots = IntStream.rangeClosed(1, ParallelSteps.WIDTH).mapToObj(i -> "/roots/env-" + i).toList();
        String pi = run.runMultiInstance(Map.of("items", roots));

        run.processLevelWithout(pi, "tfOutputs", "terraformLogTail", "terraformLogPath");
        assertThat(run.everyValueOf(pi, "tfOutputs")).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates()
                .allSatisfy(o -> assertThat((String) o).containsPattern("\"env-\\d+\""));
    }
}
