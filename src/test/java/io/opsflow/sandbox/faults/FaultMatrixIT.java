package io.opsflow.sandbox.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupProperties;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.release.ReleaseProperties;
import io.opsflow.restart.RestartProperties;
import io.opsflow.sandbox.SandboxFleet;
import io.opsflow.sandbox.faults.SandboxFaults.Kind;
import io.opsflow.sandbox.faults.SandboxFaults.Spec;
import io.opsflow.testsupport.DatabaseSnapshot;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * Faults on hosts at the host-changing steps of the runbooks, end to end in the shared sandbox application: a fault is
 * placed on one host at one step ({@link SandboxFaults}), the runbook runs, and every cell must end in the contract:
 * {@code SUCCEEDED} (each host serves the new version, or its old one when reverted within {@code maxFailurePercent}),
 * {@code ROLLED_BACK} (each host serves what it served before, read from the instances themselves and the load
 * balancer), or an open incident whose message names the host and the step — after which the fault is cleared, the
 * job retried, and the run must end well. A hung command must leave no process on the host once it timed out.
 * <p>
 * Two lanes run at once: staging (release-version, scale-service, deploy-application of {@code api}) and production
 * (restart-platform, then restore and migrate-database, all with their approval). The database cells work on two
 * throwaway PostgreSQL databases registered as production's {@code faultdb} (restored) and {@code faultmig} (the
 * webapp's migrations), on production's first host, with a password reference so that credentials files are written
 * to the host; their outcome is read from the databases themselves. A refuse-SSH cell closes every connection to its
 * host, so the one on the database host runs after both lanes. Failed jobs are retried at once (their due date moved
 * to now) instead of after the diagrams' back-off; the step timeouts of the hang cells are shortened on the
 * configuration beans for the cell only. The outcome table is printed and written to {@code target/fault-matrix.md}.
 */
@SandboxApp.Test
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultMatrixIT {
    static final Duration RUN = Duration.ofMinutes(4);
    static final List<String> GOOD = List.of("1.1.0", "1.2.0");
    static final String NOT_CHECK = "^(?!.*--check)"; // release-activate.sh itself, not its dry run
    static final List<String> TABLE = Collections.synchronizedList(new ArrayList<>());

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;
    @Autowired
    SandboxFaults faults;
    @Autowired
    SandboxFleet fleet;
    @Autowired
    ReleaseProperties releaseProps;
    @Autowired
    RestartProperties restartProps;
    @Autowired
    BackupProperties backupProps;

    @AfterEach
    void clearFaults() {
        faults.clearAll();
    }

    // ---------------------------------------------------------------- the API: use and misuse

    @Test
    @Order(1)
    void faultsAreSetListedAndClearedByAdministratorsOnlyAndBadInputChangesNothing() {
        RestClient admin = RestClient.as(port, "admin");
        String host = environments.get("staging").hosts().get(1).name();

        RestClient.Response set = admin.post("/api/sandbox/faults", Map.of("host", host, "kind", "fail-nth",
                "command", "release-activate\\.sh", "nth", 2, "times", 1));
        assertThat(set.status()).as(set.body()).isEqualTo(201);
        String id = set.json().get("id").asText();
        assertThat(set.json().get("kind").asText()).isEqualTo("fail-nth");
        assertThat(faults.get(id)).isPresent();
        JsonNode listed = admin.get("/api/sandbox/faults").json().get("faults");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("host").asText()).isEqualTo(host);

        // misuse: no login, not an administrator, bad host, bad kind, bad numbers, bad regex, unknown field
        assertThat(RestClient.anonymous(port).post("/api/sandbox/faults", Map.of("host", host, "kind", "hang"))
                .status()).isEqualTo(401);
        RestClient.Response operator = RestClient.as(port, "operator").post("/api/sandbox/faults",
                Map.of("host", host, "kind", "hang"));
        assertThat(operator.status()).isEqualTo(403);
        assertThat(RestClient.as(port, "operator").get("/api/sandbox/faults").status()).isEqualTo(403);
        assertThat(RestClient.as(port, "operator").delete("/api/sandbox/faults").status()).isEqualTo(403);
        assertBad(admin, Map.of("host", "no-such-host", "kind", "hang"), "no host 'no-such-host'");
        assertBad(admin, Map.of("host", host, "kind", "reboot"), "kind must be one of");
        assertBad(admin, Map.of("host", host), "kind is required");
        assertBad(admin, Map.of("kind", "hang"), "host is required");
        assertBad(admin, Map.of("host", host, "kind", "fail-nth", "nth", 0), "nth must be");
        assertBad(admin, Map.of("host", host, "kind", "fail-nth", "times", -1), "times must be");
        assertBad(admin, Map.of("host", host, "kind", "hang", "command", "release-(activate"), "not a regular");
        assertBad(admin, Map.of("host", host, "kind", "hang", "when", "now"), "unknown fields [when]");
        assertBad(admin, Map.of("host", host, "kind", "kill-instance", "application", "nope"),
                "has no application nope");
        assertBad(admin, Map.of("host", host, "kind", "hang", "application", "webapp"), "kill-instance only");
        assertBad(admin, "[1,2]", "JSON object");
        assertThat(admin.delete("/api/sandbox/faults?host=no-such-host").status()).isEqualTo(400);
        assertThat(admin.delete("/api/sandbox/faults/f999999").status()).isEqualTo(404);
        assertThat(faults.list()).as("nothing changed by bad input").extracting(SandboxFaults.Fault::id)
                .containsExactly(id);

        assertThat(admin.delete("/api/sandbox/faults/" + id).status()).isEqualTo(200);
        assertThat(faults.list()).isEmpty();
        admin.post("/api/sandbox/faults", Map.of("host", host, "kind", "hang", "command", "nothing-runs-this"));
        assertThat(admin.delete("/api/sandbox/faults?host=" + host).json().get("removed").asInt()).isEqualTo(1);
        assertThat(faults.list()).isEmpty();
    }

    void assertBad(RestClient admin, Object body, String says) {
        int before = faults.list().size();
        RestClient.Response r = admin.post("/api/sandbox/faults", body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().get("message").asText()).contains(says);
        assertThat(faults.list()).hasSize(before);
    }

    // ---------------------------------------------------------------- the matrix

    @Test
    @Order(2)
    void everyCellEndsSucceededRolledBackOrInAnIncidentNamingHostAndStep() throws Exception {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        long t0 = System.nanoTime();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> staging = CompletableFuture.runAsync(() -> lane(failures, List.of(
                this::rollingKillInstanceWithinBudget,
                this::rollingFailActivationIncident,
                this::rollingHangActivationLeavesNoProcess,
                this::canaryKillCanaryDuringBake,
                this::blueGreenRefuseSshAtDeployIdle,
                this::blueGreenFailSwitch,
                this::scaleFailNewInstance,
                this::deployKillStartedInstance)));
        Databases dbs = Databases.create(this);
        try {
            List<Runnable> productionCells = new ArrayList<>(List.of(this::restartHangRestart, this::restartRefuseSsh));
            if (dbs != null) {
                productionCells.addAll(List.of(() -> restoreHangRestore(dbs), () -> restoreFailStopWriters(dbs),
                        () -> migrateFailMigration(dbs), () -> migrateBrokenHangRollbackRestore(dbs)));
            }
            CompletableFuture<Void> production = CompletableFuture.runAsync(() -> lane(failures, productionCells));
            CompletableFuture.allOf(staging, production).join();
            if (dbs != null) {
                lane(failures, List.of(() -> restoreRefuseSshAtRestore(dbs)));
            }
        } finally {
            if (dbs != null) {
                dbs.drop();
            }
        }
        String table = "| runbook | fault (host, step) | outcome | checked |\n|---|---|---|---|\n"
                + String.join("\n", TABLE);
        System.out.println("FaultMatrixIT in " + (System.nanoTime() - t0) / 1_000_000_000 + " s\n" + table);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/fault-matrix.md"), table + "\n");
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " cell(s) broke the contract: "
                    + failures.stream().map(Throwable::getMessage).toList());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    void lane(List<Throwable> failures, List<Runnable> cells) {
        for (Runnable cell : cells) {
            try {
                cell.run();
                clearMine();
            } catch (Throwable t) {
                clearMine();
                failures.add(t);
                TABLE.add("| broke | " + t.getMessage().replace('\n', ' ').replace('|', '/') + " | | |");
            }
        }
    }

    // ---------------------------------------------------------------- staging cells

    void rollingKillInstanceWithinBudget() {
        Fleet before = fleet("staging");
        String host = before.hosts.get(1);
        set(Spec.of(host, Kind.KILL_INSTANCE).at("release-activate\\.sh").withArgs(NOT_CHECK)
                .instance("webapp", before.colour));
        String target = other(before);
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target, "strategy", "rolling", "batchSize", 1, "maxFailurePercent", 50);
        End end = awaitEnd(pi);
        expect(end, "SUCCEEDED");
        Fleet after = fleet("staging");
        assertThat(after.versions.get(before.hosts.get(0))).as("released host").isEqualTo(target);
        assertThat(after.versions.get(host)).as("reverted within the budget").isEqualTo(before.versions.get(host));
        assertThat((String) var(pi, "failedHosts")).contains(host);
        row("release-version rolling, maxFailurePercent 50", "kill-instance on " + host
                + " right after release-activate.sh (Task_ActivateBatch)", end,
                host + " reverted to " + before.versions.get(host) + ", the other on " + target);
    }

    void rollingFailActivationIncident() {
        Fleet before = fleet("staging");
        String host = before.hosts.get(1);
        set(Spec.of(host, Kind.FAIL_NTH).at("release-activate\\.sh").withArgs(NOT_CHECK).times(0));
        String target = other(before);
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target, "strategy", "rolling", "batchSize", 1);
        End end = awaitEnd(pi);
        String incident = expectIncident(end, host, "Task_ActivateBatch", "release-activate");
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(fleet("staging").versions.values()).containsOnly(target);
        row("release-version rolling", "fail-nth (every) release-activate.sh on " + host + " (Task_ActivateBatch)",
                end, "incident: " + incident + "; fault cleared, job retried → SUCCEEDED, every host on " + target);
    }

    void rollingHangActivationLeavesNoProcess() {
        Fleet before = fleet("staging");
        String host = before.hosts.get(0);
        SandboxFaults.Fault hang = set(Spec.of(host, Kind.HANG).at("release-activate\\.sh")
                .withArgs(NOT_CHECK));
        String target = other(before);
        Duration timeout = releaseProps.getWorkerTimeout();
        releaseProps.setWorkerTimeout(Duration.ofSeconds(15));
        try {
            String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                    "version", target, "strategy", "rolling", "batchSize", 1);
            SandboxApp.await(() -> !SandboxFaults.hungProcesses(host).isEmpty(), RUN, "the hung command on " + host);
            List<SandboxFaults.HungProcess> hung = SandboxFaults.hungProcesses(host);
            End end = awaitEnd(pi);
            expect(end, "SUCCEEDED");
            assertThat(hang.fired()).isEqualTo(1);
            assertThat(SandboxFaults.hungProcesses(host)).as("no process of the timed-out command is left").isEmpty();
            hung.forEach(p -> assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false))
                    .as("pid " + p.pid()).isFalse());
            assertThat(fleet("staging").versions.values()).containsOnly(target);
            row("release-version rolling", "hang (once) release-activate.sh on " + host
                    + " (Task_ActivateBatch), worker timeout 15 s", end, "timed out, process group killed (pids "
                    + hung.stream().map(SandboxFaults.HungProcess::pid).toList()
                    + " gone), retried → SUCCEEDED, every host on " + target);
        } finally {
            releaseProps.setWorkerTimeout(timeout);
        }
    }

    void canaryKillCanaryDuringBake() {
        Fleet before = fleet("staging");
        String host = before.hosts.get(0);
        String target = other(before);
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target, "strategy", "canary", "batchSize", 1, "canaryBake", "PT8S", "canaryChecks", 2);
        SandboxApp.await(() -> engine.getRuntimeService().createExecutionQuery().processInstanceId(pi)
                .activityId("Event_CanaryBake").count() > 0 || ended(pi), RUN, "the canary bake");
        String killed = faults.killInstanceNow(host, "webapp", before.colour);
        End end = awaitEnd(pi);
        expect(end, "ROLLED_BACK");
        assertRolledBack(before);
        row("release-version canary", "kill-instance on the canary " + host + " during the bake (Task_CanaryCheck)",
                end, killed + "; every host back on what it served, LB colour " + before.colour);
    }

    void blueGreenRefuseSshAtDeployIdle() {
        Fleet before = fleet("staging");
        String host = before.hosts.get(1);
        set(Spec.of(host, Kind.REFUSE_SSH).at("release-activate\\.sh").withArgs(NOT_CHECK));
        String target = other(before);
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target, "strategy", "blue-green");
        End end = awaitEnd(pi);
        String how = "incident: " + expectIncident(end, host, "Task_DeployIdle", "release-activate");
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(fleet("staging").versions.values()).containsOnly(target);
        how += "; SSH back, job retried → SUCCEEDED, every host on " + target;
        row("release-version blue-green", "refuse-ssh on " + host + " from its release-activate.sh on "
                + "(Task_DeployIdle)", end, how);
    }

    void blueGreenFailSwitch() {
        Fleet before = fleet("staging");
        before.hosts.forEach(h -> set(Spec.of(h, Kind.FAIL_NTH).at("lb-switch\\.sh").times(0)));
        String target = other(before);
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target, "strategy", "blue-green");
        End end = awaitEnd(pi);
        String host = before.hosts.get(0); // lb-switch.sh runs on the environment's first host
        String how = "incident: " + expectIncident(end, host, "Task_SwitchTraffic", "lb-switch");
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(fleet("staging").versions.values()).containsOnly(target);
        how += "; fault cleared, job retried → SUCCEEDED, every host on " + target;
        row("release-version blue-green", "fail-nth (every) lb-switch.sh (Task_SwitchTraffic)", end, how);
    }

    void scaleFailNewInstance() {
        Fleet before = fleet("staging");
        int instances = instances("staging");
        before.hosts.forEach(h -> set(Spec.of(h, Kind.FAIL_NTH).at("release-activate\\.sh")
                .withArgs(NOT_CHECK).times(0)));
        String pi = start("operator", "scale-service", "environment", "staging", "application", "webapp",
                "delta", 1);
        End end = awaitEnd(pi);
        assertThat(end.incidents).as("an incident on " + end.pi + " (outcome " + end.outcome + ")").isNotEmpty();
        String message = end.incidents.get(0).getIncidentMessage();
        String host = before.hosts.stream().filter(message::startsWith).findFirst()
                .orElseThrow(() -> new AssertionError("the incident names no host of staging: " + message));
        String how = "incident: " + expectIncident(end, host, "Task_AddInstances", "release-activate");
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(instances("staging")).as("instances after the retry").isEqualTo(instances + 1);
        how += "; fault cleared, job retried → SUCCEEDED with " + (instances + 1) + " instances (then scaled back)";
        if (instances("staging") != instances) {
            End back = awaitEnd(start("operator", "scale-service", "environment", "staging", "application", "webapp",
                    "delta", instances - instances("staging")));
            expect(back, "SUCCEEDED");
        }
        row("scale-service +1", "fail-nth (every) release-activate.sh on every host (Task_AddInstances)", end, how);
    }

    void deployKillStartedInstance() {
        // ReleaseVersionIT, in the same JVM, deploys api to staging when it is not there yet: then production
        String name = deployed("staging", "api") ? "production" : "staging";
        if (deployed(name, "api")) {
            row("deploy-application api", "kill-instance right after service.sh start", null,
                    "skipped: api is deployed everywhere already");
            return;
        }
        Environment env = environments.get(name);
        String host = env.hosts().get(1).name();
        set(Spec.of(host, Kind.KILL_INSTANCE).at("service\\.sh").withArgs("--app api .*start$")
                .instance("api", "blue"));
        Object[] vars = {"environment", name, "application", "api", "version", "1.0.0", "reason", "FaultMatrixIT"};
        String pi = env.requiresApproval() ? startApproved("deploy-application", vars)
                : start("operator", "deploy-application", vars);
        End end = awaitEnd(pi);
        expect(end, "ROLLED_BACK");
        for (HostConfig h : env.hosts()) {
            assertThat(fleet.hostRoot(h.name()).resolve("apps/api/instances/blue/run/app.pid"))
                    .as("no api instance left on " + h.name()).doesNotExist();
            assertThat(RestClient.versionAt("http://" + h.address() + ":"
                    + environments.instancePort(h, "api", "blue"))).as("api on " + h.name()).isEqualTo("down");
        }
        assertThat(deployed(name, "api")).as("api left in the load balancer or on a host of " + name).isFalse();
        row("deploy-application api (" + name + ")", "kill-instance on " + host + " right after its service.sh start "
                + "(Task_StartInstances)", end, "compensated: no api instance, release or backend left on any host");
    }

    /** The application has backends in the environment's load balancer (what ReleaseVersionIT goes by). */
    boolean deployed(String env, String app) {
        String api = environments.get(env).loadBalancer().apiUrl();
        return RestClient.as(port, null).getAbsolute(api + "/_lb/pools").json().path("pools").path(app)
                .path("backends").size() > 0;
    }

    // ---------------------------------------------------------------- production cells (approval)

    void restartHangRestart() {
        String host = environments.get("production").hosts().get(1).name();
        SandboxFaults.Fault hang = set(Spec.of(host, Kind.HANG).at("service\\.sh").withArgs(" restart$"));
        Duration timeout = restartProps.getStepTimeout();
        restartProps.setStepTimeout(Duration.ofSeconds(15));
        try {
            String pi = startApproved("restart-platform", "environment", "production", "mode", "rolling",
                    "batchSize", 1, "reason", "FaultMatrixIT");
            End end = awaitEnd(pi);
            expect(end, "SUCCEEDED");
            assertThat(hang.fired()).isEqualTo(1);
            assertThat(SandboxFaults.hungProcesses(host)).as("no process of the timed-out command is left").isEmpty();
            assertHealthy("production");
            row("restart-platform rolling", "hang (once) service.sh restart on " + host + " (Task_RestartHost), "
                    + "step timeout 15 s", end, "timed out, process group killed, retried → SUCCEEDED, all healthy");
        } finally {
            restartProps.setStepTimeout(timeout);
        }
    }

    void restartRefuseSsh() {
        String host = environments.get("production").hosts().get(2).name();
        set(Spec.of(host, Kind.REFUSE_SSH).at("service\\.sh").withArgs(" restart$"));
        String pi = startApproved("restart-platform", "environment", "production", "mode", "rolling",
                "batchSize", 1, "reason", "FaultMatrixIT");
        End end = awaitEnd(pi);
        String incident = expectIncident(end, host, "Task_RestartHost", "restart of " + host);
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertHealthy("production");
        row("restart-platform rolling", "refuse-ssh on " + host + " from its service.sh restart on "
                + "(Task_RestartHost)", end, "incident: " + incident + "; SSH back, job retried → SUCCEEDED");
    }

    // ---------------------------------------------------------------- database cells (production, approval)

    static final String PG = "jdbc:postgresql://127.0.0.1:5432/";

    /**
     * The throwaway databases of the database cells, registered in production for the test: {@code faultdb} (a
     * customers table, backed up once, then damaged and restored by each restore cell) and {@code faultmig} (empty:
     * the webapp's migrations, {@code opsflow.backup.applications.webapp.database} pointed at it), both written by
     * production's webapp (the writers a restore stops), both with a password file reference (trust authentication
     * ignores it; the steps still write it to the host as a credentials file).
     */
    static final class Databases {
        final FaultMatrixIT it;
        final String restoreDb;
        final String migrateDb;
        final String host;
        final Environment original;
        final String originalAppDb;
        List<String> backedUp;
        String backupId;
        Path password;

        private Databases(FaultMatrixIT it, String suffix) {
            this.it = it;
            this.restoreDb = "opsflow_faults_" + suffix;
            this.migrateDb = "opsflow_faults_mig_" + suffix;
            this.original = it.environments.get("production");
            this.host = original.hosts().get(0).name();
            BackupProperties.Application webapp = it.backupProps.getApplications().get("webapp");
            this.originalAppDb = webapp == null ? null : webapp.getDatabase();
        }

        /** Null (the database cells are left out, loudly) without a PostgreSQL at 127.0.0.1:5432 outside CI. */
        static Databases create(FaultMatrixIT it) throws Exception {
            boolean reachable;
            try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", "")) {
                reachable = c.isValid(5);
            } catch (SQLException e) {
                reachable = false;
            }
            if (!reachable) {
                if (RealComponent.underCi()) {
                    RealComponent.available(false, "PostgreSQL at 127.0.0.1:5432 (the restore and migrate cells)");
                }
                System.err.println("REAL COMPONENT MISSING: PostgreSQL at 127.0.0.1:5432: FaultMatrixIT leaves out "
                        + "its restore and migrate cells");
                TABLE.add("| restore, migrate-database | – | skipped | no PostgreSQL at 127.0.0.1:5432 |");
                return null;
            }
            RealComponent.require("pg_dump", "apt-get install postgresql-client");
            Databases d = new Databases(it, UUID.randomUUID().toString().replace("-", "").substring(0, 8));
            try {
                d.setUp();
            } catch (Exception | AssertionError e) {
                d.drop();
                throw e;
            }
            return d;
        }

        private void setUp() throws Exception {
            DatabaseSnapshot.sql(PG + "postgres", "postgres", "CREATE DATABASE " + restoreDb);
            DatabaseSnapshot.sql(PG + "postgres", "postgres", "CREATE DATABASE " + migrateDb);
            password = Files.createTempFile("opsflow-faults-", ".password");
            Files.writeString(password, "unused:with-trust");
            String ref = "file:" + password.toAbsolutePath();
            List<Environment.Database> dbs = new ArrayList<>(original.databases());
            dbs.add(new Environment.Database("faultdb", "postgres", "127.0.0.1", 5432, restoreDb, "postgres", ref,
                    null));
            dbs.add(new Environment.Database("faultmig", "postgres", "127.0.0.1", 5432, migrateDb, "postgres", ref,
                    null));
            it.environments.update("production", now -> withDatabases(now, dbs));
            Map<String, List<String>> writers = it.backupProps.getEnvironments().get("production").getWriters();
            writers.put("faultdb", List.of("webapp"));
            writers.put("faultmig", List.of("webapp"));
            it.backupProps.getApplications().computeIfAbsent("webapp", k -> new BackupProperties.Application())
                    .setDatabase("faultmig");

            DatabaseSnapshot.sql(url(restoreDb), "postgres", "CREATE TABLE customers (id INTEGER PRIMARY KEY, "
                    + "name VARCHAR(50), vip BOOLEAN)");
            DatabaseSnapshot.sql(url(restoreDb), "postgres",
                    "INSERT INTO customers VALUES (1, 'Ada', true), (2, 'Grace', false), (3, 'Linus', NULL)");
            backedUp = DatabaseSnapshot.of(url(restoreDb), "postgres");
            End backup = it.awaitEnd(it.start("operator", "backup", "environment", "production", "target", "faultdb",
                    "reason", "FaultMatrixIT"));
            it.expect(backup, "SUCCEEDED");
            backupId = (String) it.var(backup.pi, "backupId");
            assertThat(backupId).as("the backup of faultdb").isNotNull();
        }

        void drop() {
            it.environments.update("production", now -> withDatabases(now, original.databases()));
            it.backupProps.getEnvironments().get("production").getWriters().keySet()
                    .removeAll(List.of("faultdb", "faultmig"));
            BackupProperties.Application webapp = it.backupProps.getApplications().get("webapp");
            if (webapp != null) {
                webapp.setDatabase(originalAppDb);
            }
            try {
                if (password != null) {
                    Files.deleteIfExists(password);
                }
            } catch (IOException e) {
                System.err.println("FaultMatrixIT: could not remove " + password + ": " + e.getMessage());
            }
            for (String db : List.of(restoreDb, migrateDb)) {
                try {
                    DatabaseSnapshot.sql(PG + "postgres", "postgres", "DROP DATABASE IF EXISTS " + db
                            + " WITH (FORCE)");
                } catch (SQLException e) {
                    System.err.println("FaultMatrixIT: could not drop " + db + ": " + e.getMessage());
                }
            }
        }

        static Environment withDatabases(Environment e, List<Environment.Database> dbs) {
            return new Environment(e.name(), e.requiresApproval(), e.approverGroup(), e.parallelism(),
                    e.approvalReminder(), e.approvalDeadline(), e.ssh(), e.hosts(), e.loadBalancer(),
                    e.ansibleInventory(), e.terraformRoot(), dbs, e.artifactStore(), e.appRoot());
        }

        static String url(String db) {
            return PG + db;
        }

        List<String> restoreDbNow() {
            try {
                return DatabaseSnapshot.of(url(restoreDb), "postgres");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        List<String> migrateDbNow() {
            try {
                return DatabaseSnapshot.of(url(migrateDb), "postgres");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Changes faultdb away from the backup (a lost row, a changed row, a new table): what a restore undoes. */
        List<String> damage() {
            try {
                DatabaseSnapshot.sql(url(restoreDb), "postgres", "DELETE FROM customers WHERE id = 2");
                DatabaseSnapshot.sql(url(restoreDb), "postgres", "UPDATE customers SET name = 'oops' WHERE id = 1");
                DatabaseSnapshot.sql(url(restoreDb), "postgres", "CREATE TABLE IF NOT EXISTS scratch_notes (id INT)");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            List<String> damaged = restoreDbNow();
            assertThat(damaged).isNotEqualTo(backedUp);
            return damaged;
        }

        /** A restore of the backup over faultdb, approved. */
        String startRestore() {
            return it.startApproved("restore", "environment", "production", "backupId", backupId, "targetKind",
                    "original", "reason", "FaultMatrixIT");
        }

        /** The credentials files on the database host (the steps write them under the host's staging directory). */
        List<Path> credentialFiles() {
            try (Stream<Path> all = Files.walk(it.fleet.hostRoot(host))) {
                return all.filter(p -> p.getFileName().toString().startsWith("cred-")).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void assertNoCredentialFile() {
            assertThat(credentialFiles()).as("database credentials files left on " + host).isEmpty();
        }
    }

    /** The backup step timeout, short for a hang cell, back to what it was once the hang has begun. */
    SandboxFaults.Fault hangWithShortTimeout(Databases d, String script, Runnable run) {
        SandboxFaults.Fault hang = set(Spec.of(d.host, Kind.HANG).at(script));
        Duration timeout = backupProps.getStepTimeout();
        backupProps.setStepTimeout(Duration.ofSeconds(30));
        try {
            run.run();
        } finally {
            backupProps.setStepTimeout(timeout);
        }
        return hang;
    }

    void restoreHangRestore(Databases d) {
        d.damage();
        String[] pi = new String[1];
        List<SandboxFaults.HungProcess> hung = new ArrayList<>();
        SandboxFaults.Fault hang = hangWithShortTimeout(d, "db-restore-postgres\\.sh", () -> {
            pi[0] = d.startRestore();
            SandboxApp.await(() -> !SandboxFaults.hungProcesses(d.host).isEmpty(), RUN, "the hung restore on "
                    + d.host);
            hung.addAll(SandboxFaults.hungProcesses(d.host));
        });
        End end = awaitEnd(pi[0]);
        expect(end, "SUCCEEDED");
        assertThat(hang.fired()).isEqualTo(1);
        assertThat(SandboxFaults.hungProcesses(d.host)).as("no process of the timed-out restore is left").isEmpty();
        hung.forEach(p -> assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false))
                .as("pid " + p.pid()).isFalse());
        assertThat(d.restoreDbNow()).as("faultdb after the restore").isEqualTo(d.backedUp);
        assertHealthy("production");
        d.assertNoCredentialFile();
        row("restore (original, production)", "hang (once) db-restore-postgres.sh on " + d.host + " (Task_Restore), "
                + "step timeout 30 s", end, "timed out, process group killed (pids " + hung.stream()
                .map(SandboxFaults.HungProcess::pid).toList() + " gone), retried → SUCCEEDED: faultdb holds exactly "
                + "the backup's rows, writers healthy, no credentials file on the host");
    }

    void restoreFailStopWriters(Databases d) {
        List<String> damaged = d.damage();
        String host = environments.get("production").hosts().get(1).name();
        set(Spec.of(host, Kind.FAIL_NTH).at("service\\.sh").withArgs(" stop$").times(0));
        String pi = d.startRestore();
        End end = awaitEnd(pi);
        String incident = expectIncident(end, host, "Task_StopWriters", "service.sh");
        assertHealthy("production"); // the writers it had stopped were started again: nothing half-stopped
        assertThat(d.restoreDbNow()).as("faultdb untouched while the run waits in the incident").isEqualTo(damaged);
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(d.restoreDbNow()).as("faultdb after the retry").isEqualTo(d.backedUp);
        assertHealthy("production");
        d.assertNoCredentialFile();
        row("restore (original, production)", "fail-nth (every) service.sh stop on " + host + " (Task_StopWriters)",
                end, "incident: " + incident + "; the writers stopped before it were started again, faultdb "
                        + "untouched; cleared + retried → SUCCEEDED, faultdb exactly the backup, no credentials file");
    }

    void restoreRefuseSshAtRestore(Databases d) {
        d.damage();
        set(Spec.of(d.host, Kind.REFUSE_SSH).at("db-restore-postgres\\.sh"));
        String pi = d.startRestore();
        End end = awaitEnd(pi);
        String incident = expectIncident(end, d.host, "Task_Restore", "restore of " + d.backupId);
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        assertThat(d.restoreDbNow()).as("faultdb after the retry").isEqualTo(d.backedUp);
        assertHealthy("production");
        d.assertNoCredentialFile();
        row("restore (original, production)", "refuse-ssh on " + d.host + " from its db-restore-postgres.sh on "
                + "(Task_Restore)", end, "incident: " + incident + "; SSH back, job retried → SUCCEEDED, faultdb "
                + "exactly the backup, writers healthy, no credentials file");
    }

    void migrateFailMigration(Databases d) {
        List<String> before = d.migrateDbNow();
        set(Spec.of(d.host, Kind.FAIL_NTH).at("db-migrate\\.sh").withArgs("^(?!.*--plan)").times(0));
        String pi = startApproved("migrate-database", "environment", "production", "application", "webapp",
                "version", "1.2.0", "reason", "FaultMatrixIT");
        End end = awaitEnd(pi);
        String incident = expectIncident(end, d.host, "Task_Run", "db-migrate.sh");
        assertThat(d.migrateDbNow()).as("faultmig untouched while the run waits in the incident").isEqualTo(before);
        End after = recover(pi, end);
        expect(after, "SUCCEEDED");
        List<String> migrated = d.migrateDbNow();
        assertThat(migrated).filteredOn(l -> l.startsWith("history ")).extracting(l -> l.split(" ")[1])
                .containsExactly("001_create_items.sql", "002_items_add_price.sql", "003_create_orders.sql");
        assertThat(migrated).anyMatch(l -> l.startsWith("table orders "));
        d.assertNoCredentialFile();
        row("migrate-database webapp 1.2.0 (production)", "fail-nth (every) db-migrate.sh on " + d.host
                + " (Task_Run)", end, "incident: " + incident + "; faultmig untouched; cleared + retried → SUCCEEDED, "
                + "migrations 001–003 in opsflow_schema_history, no credentials file");
    }

    void migrateBrokenHangRollbackRestore(Databases d) {
        try {
            DatabaseSnapshot.sql(PG + d.migrateDb, "postgres",
                    "INSERT INTO orders (id, item_id, quantity) VALUES (1, 1, 3), (2, 2, 1)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        List<String> before = d.migrateDbNow();
        String[] pi = new String[1];
        SandboxFaults.Fault hang = hangWithShortTimeout(d, "db-restore-postgres\\.sh", () -> {
            pi[0] = startApproved("migrate-database", "environment", "production", "application", "webapp",
                    "version", "2.0.0-broken", "reason", "FaultMatrixIT");
            SandboxApp.await(() -> !SandboxFaults.hungProcesses(d.host).isEmpty() || ended(pi[0]), RUN,
                    "the hung rollback restore on " + d.host);
        });
        End end = awaitEnd(pi[0]);
        expect(end, "ROLLED_BACK");
        assertThat(hang.fired()).as("the rollback's restore hung once").isEqualTo(1);
        assertThat(SandboxFaults.hungProcesses(d.host)).as("no process of the timed-out restore is left").isEmpty();
        assertThat(var(pi[0], "rollbackVerified")).isEqualTo(true);
        assertThat(d.migrateDbNow()).as("faultmig back on its pre-migration schema and rows").isEqualTo(before);
        assertHealthy("production");
        d.assertNoCredentialFile();
        row("migrate-database webapp 2.0.0-broken (production)", "the migration fails (modelled) and the rollback's "
                + "db-restore-postgres.sh hangs (once) on " + d.host + " (SubProcess_Rollback/Task_RollbackRestore), "
                + "step timeout 30 s", end, "timed out, process group killed, retried → ROLLED_BACK: faultmig exactly "
                + "its pre-migration schema, history and rows, writers healthy, no credentials file");
    }

    // ---------------------------------------------------------------- runs

    String start(String user, String key, Object... kv) {
        return SandboxApp.start(RestClient.as(port, user), key, kv);
    }

    String startApproved(String key, Object... kv) {
        String pi = start("operator", key, kv);
        Task approval = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);
        RestClient.Response ok = RestClient.as(port, "approver").post("/engine-rest/task/" + approval.getId()
                + "/complete", RestClient.variables("approved", true, "comment", "FaultMatrixIT"));
        assertThat(ok.status()).as(ok.body()).isIn(200, 204);
        return pi;
    }

    record End(String pi, String outcome, List<Incident> incidents) {
        String describe() {
            return incidents.isEmpty() ? String.valueOf(outcome) : "incident";
        }
    }

    boolean ended(String pi) {
        return engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi).count() == 0;
    }

    /** Until the run ended or has an incident; failed jobs are retried at once rather than after their back-off. */
    End awaitEnd(String pi) {
        SandboxApp.await(() -> {
            hurry(pi);
            return ended(pi) || !SandboxApp.incidents(engine, pi).isEmpty();
        }, RUN, "run " + pi + " to end or stop at an incident");
        List<Incident> incidents = SandboxApp.incidents(engine, pi);
        return new End(pi, incidents.isEmpty() ? (String) var(pi, "outcome") : null, incidents);
    }

    void hurry(String pi) {
        for (Job j : engine.getManagementService().createJobQuery().processInstanceId(pi).withException()
                .withRetriesLeft().list()) {
            if (j.getDuedate() != null && j.getDuedate().after(new java.util.Date())) {
                try {
                    engine.getManagementService().setJobDuedate(j.getId(), new java.util.Date());
                } catch (RuntimeException concurrentlyChanged) {
                    // the executor got it first
                }
            }
        }
    }

    /** The fault is cleared, the failed job retried: the run must go on. */
    End recover(String pi, End stuck) {
        clearMine();
        for (Incident i : stuck.incidents) {
            engine.getManagementService().setJobRetries(i.getConfiguration(), 1);
        }
        End end = awaitEnd(pi);
        assertThat(end.incidents).as("incidents after the fault was cleared").isEmpty();
        return end;
    }

    /** The faults this lane's current cell set (lanes are threads: the other lane's faults are not touched). */
    final ThreadLocal<List<SandboxFaults.Fault>> mine = ThreadLocal.withInitial(ArrayList::new);

    SandboxFaults.Fault set(Spec spec) {
        SandboxFaults.Fault f = faults.set(spec);
        mine.get().add(f);
        return f;
    }

    void clearMine() {
        mine.get().forEach(f -> faults.clear(f.id()));
        mine.get().clear();
    }

    void expect(End end, String... outcomes) {
        assertThat(end.incidents).as("incidents of " + end.pi).extracting(Incident::getIncidentMessage).isEmpty();
        assertThat(end.outcome).as("outcome of " + end.pi + " (failureReason " + var(end.pi, "failureReason") + ")")
                .isIn((Object[]) outcomes);
    }

    /**
     * An incident exists at the step (its activity), and its message names the host and what failed there (the
     * worker or the action).
     */
    String expectIncident(End end, String host, String activityPrefix, String what) {
        assertThat(end.incidents).as("an incident on " + end.pi + " (outcome " + end.outcome + ")").isNotEmpty();
        Incident i = end.incidents.get(0);
        assertThat(i.getActivityId()).as("the incident's step").startsWith(activityPrefix);
        assertThat(i.getIncidentMessage()).as("incident message").contains(host);
        assertThat(i.getIncidentMessage().toLowerCase()).as("incident message names what failed")
                .contains(what.toLowerCase());
        String m = i.getIncidentMessage().replace('\n', ' ').replace('|', '/');
        return i.getActivityId() + " \"" + (m.length() > 160 ? m.substring(0, 160) + "…" : m) + "\"";
    }

    Object var(String pi, String name) {
        return SandboxApp.var(engine, pi, name);
    }

    void row(String runbook, String fault, End end, String checked) {
        TABLE.add("| " + runbook + " | " + fault + " | " + (end == null ? "–" : end.describe()) + " | " + checked
                + " |");
    }

    // ---------------------------------------------------------------- the hosts' real state

    /** What each host's instance of the active colour answers on its own port, and the load balancer's colour. */
    record Fleet(List<String> hosts, String colour, Map<String, String> versions) {
    }

    Fleet fleet(String env) {
        Environment e = environments.get(env);
        JsonNode active = pool(env).get("active");
        String colour = active == null || active.isNull() ? "blue" : active.asText();
        Map<String, String> m = new LinkedHashMap<>();
        for (HostConfig h : e.hosts()) {
            m.put(h.name(), RestClient.versionAt("http://" + h.address() + ":"
                    + environments.instancePort(h, "webapp", colour)));
        }
        return new Fleet(List.copyOf(m.keySet()), colour, m);
    }

    JsonNode pool(String env) {
        String api = environments.get(env).loadBalancer().apiUrl();
        return RestClient.as(port, null).getAbsolute(api + "/_lb/pools").json().path("pools").path("webapp");
    }

    /** Backends of the pool's active colour (all of them when it has none): the count scale-service works on. */
    int instances(String env) {
        JsonNode pool = pool(env);
        String active = pool.path("active").isTextual() ? pool.path("active").asText() : null;
        int n = 0;
        for (JsonNode b : pool.path("backends")) {
            n += active == null || active.equals(b.path("color").asText()) ? 1 : 0;
        }
        return n;
    }

    void assertRolledBack(Fleet before) {
        Fleet now = fleet("staging");
        assertThat(now.colour).as("load balancer colour").isEqualTo(before.colour);
        assertThat(now.versions).as("what every host serves").isEqualTo(before.versions);
    }

    void assertHealthy(String env) {
        Fleet f = fleet(env);
        assertThat(f.versions.values()).as("every instance answers").doesNotContain("down");
    }

    static String other(Fleet f) {
        String current = f.versions.values().iterator().next();
        return GOOD.stream().filter(v -> !v.equals(current)).findFirst().orElseThrow();
    }

}
