package io.opsflow.testsupport;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.task.Task;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * End-to-end tests against the whole application in sandbox mode: real fleet (SSH hosts, load balancers, webapp
 * 1.0.0 deployed on first start), real job executor, real tools. All test classes annotated with {@link Test}
 * share ONE application context (Spring's context cache), one var dir and one fleet per JVM — so tests must read
 * the state they start from (e.g. the current version) instead of assuming a fresh fleet.
 */
public final class SandboxApp {
    private static final Path VAR_DIR;
    /**
     * Application instances listen on fixed ports from here (100 per host). Below the kernel's ephemeral range
     * (32768-60999 here): a range inside it collides with the local ports of outgoing connections (SSH, HTTP, JDBC),
     * and the first-start deployment then fails with "Address already in use". Up to ~20 hosts stay below 24000,
     * clear of RabbitMQ's 25672.
     */
    private static final int PORT_RANGE_START = freeBlock(10000, 120, 0, 1, 10, 11, 21, 22, 31, 32, 100, 101);

    /**
     * pebble (4 ports from here), the sandbox TLS edges (+10, +11) and the mail server (+20): below the ephemeral
     * range, clear of 25672. A block another JVM on this machine listens in (a second test JVM, a developer's
     * sandbox) is skipped: picking one of 15 blocks at random alone let two JVMs meet one time in fifteen.
     */
    private static final int EDGE_PORTS = freeBlock(24000, 15, 0, 1, 2, 3, 10, 11, 20);

    static {
        try {
            VAR_DIR = Files.createTempDirectory("opsflow-sandbox-it-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private SandboxApp() {
    }

    /**
     * A random block {@code start + 100 k} ({@code k < blocks}) none of whose ports at {@code offsets} has a
     * listener now; any block when all are held (the start then says which port is taken).
     */
    public static int freeBlock(int start, int blocks, int... offsets) {
        int first = ThreadLocalRandom.current().nextInt(blocks);
        for (int i = 0; i < blocks; i++) {
            int base = start + 100 * ((first + i) % blocks);
            if (java.util.Arrays.stream(offsets).allMatch(o -> bindable(base + o))) {
                return base;
            }
        }
        return start + 100 * first;
    }

    private static boolean bindable(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static Path varDir() {
        return VAR_DIR;
    }

    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
    @ContextConfiguration(initializers = Initializer.class)
    // metrics export on, as in the application (/actuator/prometheus: MetricsExportIT)
    @org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability
    public @interface Test {
    }

    /** Puts the shared var dir and a random port range in front of application.yaml. */
    public static class Initializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext ctx) {
            RealComponent.require("python3", "apt-get install python3", "/usr/bin/python3");
            TestPropertyValues.of(
                    "opsflow.var-dir=" + VAR_DIR,
                    "opsflow.sandbox.enabled=true",
                    "opsflow.sandbox.port-range-start=" + PORT_RANGE_START,
                    // TLS edges (renew-certificates): own ports per JVM, short-lived certificates (below 30 days)
                    "opsflow.sandbox.edge.acme-port=" + EDGE_PORTS,
                    "opsflow.sandbox.edge.staging-port=" + (EDGE_PORTS + 10),
                    "opsflow.sandbox.edge.production-port=" + (EDGE_PORTS + 11),
                    "opsflow.sandbox.edge.certificate-lifetime=PT2H",
                    // the sandbox's mail server (notifications): its own port per JVM, next to the edges
                    "opsflow.sandbox.mail.port=" + (EDGE_PORTS + 20),
                    "camunda.bpm.job-execution.wait-time-in-millis=200",
                    "opsflow.release.start-health-timeout=PT5S",
                    "camunda.bpm.job-execution.max-wait=1000",
                    "logging.level.org.apache.sshd=WARN",
                    "logging.level.net.schmizz=WARN").applyTo(ctx);
        }
    }

    /** Starts a runbook over REST as {@code user} (200 expected) and returns the run's id. */
    public static String start(RestClient as, String processKey, Object... kv) {
        RestClient.Response r = as.post("/engine-rest/process-definition/key/" + processKey + "/start",
                RestClient.variables(kv));
        if (r.status() != 200) {
            throw new AssertionError("start of " + processKey + " answered " + r.status() + ": " + r.body());
        }
        return r.json().get("id").asText();
    }

    /** A variable of a run, from history (null when it was never set). */
    public static Object var(ProcessEngine engine, String processInstanceId, String name) {
        var v = engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(processInstanceId)
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    /** Waits until the run ended; fails with the run's incidents when it is stuck on one. */
    public static HistoricProcessInstance awaitEnd(ProcessEngine engine, String processInstanceId, Duration timeout) {
        await(() -> engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(processInstanceId)
                .count() == 0 || !incidents(engine, processInstanceId).isEmpty(), timeout,
                "run " + processInstanceId + " to end");
        var incidents = incidents(engine, processInstanceId);
        if (!incidents.isEmpty()) {
            throw new AssertionError("run " + processInstanceId + " has incidents: " + incidents.stream()
                    .map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList());
        }
        return engine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(processInstanceId)
                .singleResult();
    }

    /** Waits until the run waits at the user task with the given definition key, and returns it. */
    public static Task awaitTask(ProcessEngine engine, String processInstanceId, String taskKey, Duration timeout) {
        await(() -> engine.getTaskService().createTaskQuery().processInstanceId(processInstanceId)
                .taskDefinitionKey(taskKey).count() > 0 || !incidents(engine, processInstanceId).isEmpty(),
                timeout, "run " + processInstanceId + " to reach " + taskKey);
        var incidents = incidents(engine, processInstanceId);
        if (!incidents.isEmpty()) {
            throw new AssertionError("run " + processInstanceId + " has incidents: " + incidents.stream()
                    .map(i -> i.getActivityId() + ": " + i.getIncidentMessage()).toList());
        }
        return engine.getTaskService().createTaskQuery().processInstanceId(processInstanceId)
                .taskDefinitionKey(taskKey).singleResult();
    }

    public static java.util.List<Incident> incidents(ProcessEngine engine, String processInstanceId) {
        return engine.getRuntimeService().createIncidentQuery().processInstanceId(processInstanceId).list();
    }

    public static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + "s waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
