package io.opsflow.step.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RealComponent;

/**
 * Terraform plans are not node-local: a plan made by one node ({@link TerraformStep} with its working directory) is
 * stored in the database and applied by another node with a different working directory, after the first node's
 * disk is gone, with the CLI double. Forged plan ids/SHA-256s are refused; rows go with the run's history.
 */
class TerraformPlansIT {
    private final Path tmp;
    private final TerraformFixture fx;
    private final StepLogs.MemoryStepLog log = StepLogs.memory();

    TerraformPlansIT(@TempDir Path tmp) {
        this.tmp = tmp;
        this.fx = new TerraformFixture(tmp);
    }

    @Test
    void aPlanMadeOnOneNodeIsAppliedByAnotherFromTheDatabase() throws Exception {
        TerraformStep nodeA = fx.doubleStep();
        TerraformStep nodeB = fx.otherNode(tmp.resolve("node-b/terraform"));
        nodeA.init(fx.stagingRoot, log);
        PlanSummary plan = nodeA.plan(fx.stagingRoot, Map.of("host_count", 2), nodeA.runDir("run-1"), log);

        // node A dies with its disk; node B's checkout of the root was never initialised
        deleteTree(fx.workDir);
        deleteTree(fx.stagingRoot.resolve(".terraform"));

        ApplyResult applied = nodeB.applyStored(fx.stagingRoot, "run-1", plan.sha256(), log);
        assertThat(applied.alreadyApplied()).isFalse();
        assertThat(TerraformDoubleIT.hostNames(nodeB.outputs(fx.stagingRoot, log)))
                .containsExactly("staging-web-1", "staging-web-2");
        assertThat(fx.invocations().stream().map(i -> i.get("argv").get(0).asText()).toList())
                .as("node B initialised the root before applying").containsSubsequence("plan", "init", "apply");
        try (Stream<Path> left = Files.list(nodeB.runDir("run-1"))) {
            assertThat(left).as("the materialised plan file is removed after the apply").isEmpty();
        }
        assertThat(fx.workDir).as("node A's working directory played no part").doesNotExist();

        // a retried job, on either node, does not apply twice
        assertThat(nodeB.applyStored(fx.stagingRoot, "run-1", plan.sha256(), log).alreadyApplied()).isTrue();
        assertThat(fx.doubleStep().applyStored(fx.stagingRoot, "run-1", plan.sha256(), log).alreadyApplied())
                .isTrue();
    }

    @Test
    void forgedPlanIdsAndHashesAreRefusedAndNothingIsApplied() {
        TerraformStep step = fx.doubleStep();
        step.init(fx.stagingRoot, log);
        PlanSummary first = step.plan(fx.stagingRoot, Map.of("host_count", 2), step.runDir("run-1"), log);

        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "run-1", "f".repeat(64), log))
                .isInstanceOfSatisfying(PlanMismatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.HASH_DIFFERS);
                    assertThat(e.getMessage()).contains("is not a plan of this run");
                });
        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "run-2", first.sha256(), log))
                .as("another run's plan is not this run's").isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.MISSING));
        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "run-1", " ", log))
                .isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.NO_APPROVED_HASH));
        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "../run-1", first.sha256(), log))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid run id");

        // a re-plan replaces the run's plan: the earlier approval no longer applies
        PlanSummary second = step.plan(fx.stagingRoot, Map.of("host_count", 3), step.runDir("run-1"), log);
        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "run-1", first.sha256(), log))
                .isInstanceOfSatisfying(PlanMismatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.HASH_DIFFERS));

        // bytes changed in the database after approval
        fx.jdbc.update("UPDATE OPSFLOW_TF_PLAN SET PLAN_ = ? WHERE PROC_INST_ID_ = 'run-1'",
                "tampered".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> step.applyStored(fx.stagingRoot, "run-1", second.sha256(), log))
                .isInstanceOfSatisfying(PlanMismatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.HASH_DIFFERS);
                    assertThat(e.getMessage()).contains("the stored plan's SHA-256 is");
                });
        assertThat(fx.invocations()).noneMatch(i -> i.get("argv").get(0).asText().equals("apply"));
        assertThat(fx.stagingRoot.resolve("terraform.tfstate")).doesNotExist();
    }

    /**
     * Node A's apply is killed (SIGKILL) once the first of three hosts is in the state, as Terraform persists the state
     * after each resource: the approved plan is stale now. The retry (node B) finishes it: the two hosts left are
     * created, the first is not created again (same id), the run's plan is marked applied. Without the record of the
     * interrupted apply the retry was refused (STALE) and the run ended FAILED with a half-provisioned root.
     */
    @Test
    void anApplyKilledHalfWayIsFinishedByTheRetryWithoutRedoingWhatItDid() throws Exception {
        TerraformStep nodeA = fx.slowNode(tmp.resolve("node-a/terraform"), 5);
        nodeA.init(fx.stagingRoot, log);
        PlanSummary plan = nodeA.plan(fx.stagingRoot, Map.of("host_count", 3), nodeA.runDir("run-1"), log);
        String firstId = killApplyAfterFirstHost(nodeA, "run-1", plan.sha256());
        assertThat(fx.stagingRoot.resolve(".terraform.tfstate.lock.info"))
                .as("like Terraform, the killed apply leaves its lock info behind (the lock itself died with it)")
                .exists();

        TerraformStep nodeB = fx.otherNode(tmp.resolve("node-b/terraform"));
        assertThat(nodeB.applyStored(fx.stagingRoot, "run-1", plan.sha256(), log).alreadyApplied()).isFalse();
        assertThat(TerraformDoubleIT.hostNames(nodeB.outputs(fx.stagingRoot, log)))
                .containsExactly("staging-web-1", "staging-web-2", "staging-web-3");
        assertThat(hostIds()).as("host 1, created by the killed apply, is not created again").hasSize(3)
                .first().isEqualTo(firstId);
        assertThat(log.lines()).anyMatch(l -> l.contains("did not finish"));
        assertThat(nodeB.applyStored(fx.stagingRoot, "run-1", plan.sha256(), log).alreadyApplied()).isTrue();
    }

    /** Misuse: after the killed apply someone else applied another plan to the root; the retry finishing the run's
     * plan would undo it (destroy a host the run's plan never touched): refused, STALE, nothing applied. */
    @Test
    void anInterruptedApplyIsNotFinishedOverSomeoneElsesChanges() throws Exception {
        TerraformStep nodeA = fx.slowNode(tmp.resolve("node-a/terraform"), 5);
        nodeA.init(fx.stagingRoot, log);
        PlanSummary plan = nodeA.plan(fx.stagingRoot, Map.of("host_count", 3), nodeA.runDir("run-1"), log);
        killApplyAfterFirstHost(nodeA, "run-1", plan.sha256());
        TerraformStep other = fx.doubleStep();
        PlanSummary four = other.plan(fx.stagingRoot, Map.of("host_count", 4), other.runDir("run-2"), log);
        other.applyStored(fx.stagingRoot, "run-2", four.sha256(), log);

        assertThatThrownBy(() -> fx.otherNode(tmp.resolve("node-b/terraform")).applyStored(fx.stagingRoot, "run-1",
                plan.sha256(), log)).isInstanceOfSatisfying(PlanMismatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(PlanMismatchException.Reason.STALE);
                    assertThat(e.getMessage()).contains("module.fleet.terraform_data.host[3] [delete]")
                            .contains("Plan again");
                });
        assertThat(hostIds()).as("run-2's four hosts untouched").hasSize(4);
    }

    /** Runs the apply on a thread and SIGKILLs the double once one host is in the state; that host's id. */
    private String killApplyAfterFirstHost(TerraformStep node, String run, String sha) throws Exception {
        var apply = java.util.concurrent.CompletableFuture.runAsync(() -> node.applyStored(fx.stagingRoot, run, sha,
                log));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (hostIds().isEmpty()) {
            assertThat(System.nanoTime()).as("the apply to create its first host").isLessThan(deadline);
            assertThat(apply).as("the apply still running").isNotDone();
            Thread.sleep(50);
        }
        List<ProcessHandle> tf = ProcessHandle.current().descendants().filter(p -> p.info().commandLine()
                .orElse("").contains(" apply ")).toList();
        assertThat(tf).as("the double's apply process").isNotEmpty();
        tf.forEach(ProcessHandle::destroyForcibly);
        assertThatThrownBy(apply::join).hasCauseInstanceOf(io.opsflow.step.exec.CommandFailedException.class);
        assertThat(hostIds()).as("killed after the first host").hasSize(1);
        return hostIds().get(0);
    }

    /** The ids of the hosts in the staging root's state, in index order. */
    private List<String> hostIds() throws java.io.IOException {
        Path state = fx.stagingRoot.resolve("terraform.tfstate");
        if (!Files.exists(state)) {
            return List.of();
        }
        List<String> ids = new java.util.ArrayList<>();
        for (var r : TerraformFixture.JSON.readTree(state.toFile()).path("resources")) {
            for (var i : r.path("instances")) {
                ids.add(i.path("attributes").path("id").asText());
            }
        }
        return ids;
    }

    @Test
    void storedPlansGoWithTheRunsHistory() {
        fx.jdbc.execute("CREATE TABLE ACT_HI_PROCINST (PROC_INST_ID_ VARCHAR(64))");
        fx.jdbc.execute("CREATE TABLE ACT_RU_EXECUTION (PROC_INST_ID_ VARCHAR(64))");
        fx.jdbc.update("INSERT INTO ACT_HI_PROCINST VALUES ('finished'), ('running')");
        fx.jdbc.update("INSERT INTO ACT_RU_EXECUTION VALUES ('running')");
        TerraformPlans plans = new TerraformPlans(fx.jdbc, Duration.ZERO);
        for (String run : List.of("finished", "running", "cleaned-up")) {
            plans.save(run, TerraformStep.sha256(run.getBytes(StandardCharsets.UTF_8)), false,
                    run.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(plans.sweep()).containsExactly("cleaned-up");
        assertThat(plans.shas("cleaned-up")).isEmpty();
        assertThat(plans.shas("finished")).hasSize(1);
        assertThat(plans.shas("running")).hasSize(1);
    }

    @Test
    void thePlanStoreWorksOnPostgresql() {
        String url = "jdbc:postgresql://127.0.0.1:5432/test";
        boolean up;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "postgres", "")) {
            up = c.isValid(2);
        } catch (java.sql.SQLException e) {
            up = false;
        }
        RealComponent.available(up, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)");
        String schema = "tfplans_it_" + Long.toHexString(System.nanoTime());
        new JdbcTemplate(new DriverManagerDataSource(url, "postgres", "")).execute("CREATE SCHEMA " + schema);
        JdbcTemplate pg = new JdbcTemplate(new DriverManagerDataSource(url + "?currentSchema=" + schema, "postgres", ""));
        try {
            TerraformPlans plans = new TerraformPlans(pg, Duration.ofDays(1));
            byte[] bytes = new byte[300_000];
            new java.util.Random(7).nextBytes(bytes);
            String sha = TerraformStep.sha256(bytes);
            plans.save("run-pg", sha, true, bytes);
            TerraformPlans.Stored s = plans.find("run-pg", sha.toUpperCase()).orElseThrow();
            assertThat(s.plan()).isEqualTo(bytes);
            assertThat(s.destroy()).isTrue();
            assertThat(s.appliedAt()).isNull();
            plans.markApplied("run-pg", sha);
            assertThat(plans.find("run-pg", sha).orElseThrow().appliedAt()).isNotNull();
            assertThat(plans.deleteRun("run-pg")).isEqualTo(1);
        } finally {
            pg.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private static void deleteTree(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.delete(p);
            }
        }
    }
}
