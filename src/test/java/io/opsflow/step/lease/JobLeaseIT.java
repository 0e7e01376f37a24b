package io.opsflow.step.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.RuntimeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A step that runs longer than the job executor's lock time executes exactly once when it holds a {@link JobLease};
 * the control run without the lease shows the engine's default: the job is acquired again and runs twice.
 */
@SpringBootTest(properties = {"opsflow.sandbox.enabled=false",
        "camunda.bpm.job-execution.lock-time-in-millis=4000",
        "camunda.bpm.job-execution.wait-time-in-millis=100",
        "camunda.bpm.job-execution.max-wait=200",
        "camunda.bpm.job-execution.core-pool-size=3",
        "camunda.bpm.job-execution.max-pool-size=3"})
class JobLeaseIT {
    @TempDir
    static Path var;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("opsflow.var-dir", () -> var.toString());
    }

    @Autowired
    RuntimeService runtime;
    @Autowired
    HistoryService history;

    @Test
    void aStepLongerThanTheLockRunsExactlyOnceWithTheLease() throws Exception {
        String pi = runtime.startProcessInstanceByKey("lease-sample",
                Map.of("stepMillis", 12000, "useLease", true)).getId();
        awaitEnd(pi, Duration.ofSeconds(60));
        Thread.sleep(2000); // give a duplicate acquisition every chance to show up
        assertThat(SlowStep.STARTS.get(pi).get()).as("executions of the leased step").isEqualTo(1);
        assertThat(history.createHistoricVariableInstanceQuery().processInstanceId(pi).variableName("finished")
                .singleResult().getValue()).isEqualTo(true);
    }

    @Test
    void withoutTheLeaseTheSameStepRunsTwice() throws Exception {
        String pi = runtime.startProcessInstanceByKey("lease-sample",
                Map.of("stepMillis", 12000, "useLease", false)).getId();
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        while (SlowStep.STARTS.getOrDefault(pi, new java.util.concurrent.atomic.AtomicInteger()).get() < 2
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(SlowStep.STARTS.get(pi).get()).as("control: the engine re-acquires an expired lock").isEqualTo(2);
        // Left alone, the control never ends: every re-acquisition bumps the job's revision, so each execution's
        // commit fails with an optimistic-locking conflict and the job is acquired again, forever. Cancel it and
        // wait for the executions still sleeping, so the engine is left idle for the rest of the suite.
        runtime.deleteProcessInstance(pi, "control run done", true, true);
        long idle = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (SlowStep.RUNNING.get(pi).get() > 0 && System.nanoTime() < idle) {
            Thread.sleep(100);
        }
        assertThat(SlowStep.RUNNING.get(pi).get()).as("control executions still running").isZero();
        assertThat(runtime.createProcessInstanceQuery().processInstanceId(pi).count()).isZero();
    }

    private void awaitEnd(String pi, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (runtime.createProcessInstanceQuery().processInstanceId(pi).count() == 0) {
                return;
            }
            if (runtime.createIncidentQuery().processInstanceId(pi).count() > 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("run " + pi + " did not end within " + timeout);
    }
}
