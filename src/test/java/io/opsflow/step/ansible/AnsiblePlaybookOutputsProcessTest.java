package io.opsflow.step.ansible;

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
 * {@code ansiblePlaybook} {@value ParallelSteps#WIDTH} times at once in one run (a scripted playbook run: the host
 * is the run's limit), as parallel branches and as a multi-instance: no step job conflicts with another, conflicted
 * join jobs are retried at once, each branch keeps {@code ansibleStats} and the other outputs to itself.
 */
class AnsiblePlaybookOutputsProcessTest {
    @TempDir
    static Path tmp;
    private static ParallelSteps run;

    @BeforeAll
    static void engine() {
        AnsibleProperties props = new AnsibleProperties();
        props.setDir(Path.of("ansible"));
        AnsibleStep scripted = new AnsibleStep(new CommandRunner(), props) {
            @Override
            public PlaybookResult runPlaybook(AnsibleRun r, StepLog log) {
                run.together();
                return new PlaybookResult(0, Map.of(r.limit(), new HostStats(2, 1, 0, 0, 0, 0, 0)), List.of(),
                        List.of(), List.of(), false);
            }
        };
        run = new ParallelSteps(Map.of("ansiblePlaybook", new AnsiblePlaybookDelegate(scripted,
                new StepLogs(tmp.resolve("logs").toString()),
                new StaticListableBeanFactory().getBeanProvider(Environments.class), tmp.toString())));
        run.deployBranches("ansiblePlaybook", i -> Map.of("playbook", "ping.yml", "inventory", "ansible.cfg",
                "limit", "web-" + i), "ansibleStats");
        run.deployMultiInstance("ansiblePlaybook", "limit");
    }

    @AfterAll
    static void close() {
        run.close();
    }

    @Test
    void twentyParallelPlaybooksKeepTheirOutputsAndConflictsHoldNothing() throws Exception {
        String pi = run.runBranches();

        Map<String, Object> processLevel = run.processLevelWithout(pi, "ansibleStats", "ansibleFailedHosts",
                "ansibleUnreachableHosts", "ansibleChanged", "ansibleDiff", "Task_Branch1_log", "Task_Branch2_log");
        assertThat((String) processLevel.get("branch1Output")).contains("\"web-1\"").doesNotContain("web-2");
        assertThat(run.everyValueOf(pi, "ansibleStats")).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates();
        assertThat(run.everyValueOf(pi, "ansibleChanged")).hasSize(ParallelSteps.WIDTH).containsOnly(true);
    }

    @Test
    void aMultiInstanceOfTwentyKeepsEachInstancesOutputs() throws Exception {
        List<String> hosts = IntStream.rangeClosed(1, ParallelSteps.WIDTH).mapToObj(i -> "db-" + i).toList();
        String pi = run.runMultiInstance(Map.of("items", hosts,
                "playbook", "ping.yml", "inventory", "ansible.cfg"));

        run.processLevelWithout(pi, "ansibleStats", "ansibleFailedHosts", "ansibleUnreachableHosts",
                "ansibleChanged", "ansibleDiff", "Task_Each_log");
        List<Object> stats = run.everyValueOf(pi, "ansibleStats");
        assertThat(stats).hasSize(ParallelSteps.WIDTH).doesNotHaveDuplicates()
                .allSatisfy(s -> assertThat((String) s).containsPattern("\"db-\\d+\""));
    }
}
