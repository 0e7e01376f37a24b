package io.opsflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.backup.BackupSchedules;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.OffsiteStore;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.testsupport.DatabaseSnapshot;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;
import io.opsflow.testsupport.Tasklist;

/**
 * backup, restore and migrate-database end to end: the whole application in sandbox mode (SSH hosts, workers, job
 * executor, REST with authentication) against the real PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306),
 * with throwaway databases registered as the staging environment's databases for the duration of the class.
 */
@SandboxApp.Test
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupRestoreMigrateIT {
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
    static final String MY = "jdbc:mariadb://127.0.0.1:3306/";
    static final Duration RUN = Duration.ofMinutes(4);

    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;
    @Autowired
    BackupProperties props;
    @Autowired
    BackupCatalog catalog;
    @Autowired
    OffsiteStore store;
    @Autowired
    BackupTargets targets;
    @LocalServerPort
    int port;

    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String pgDb = "opsflow_e2e_" + suffix;
    String myDb = "opsflow_e2e_" + suffix;
    String migDb = "opsflow_e2e_mig_" + suffix;
    Environment original;

    @BeforeAll
    void setUp() throws SQLException {
        RealComponent.available(canConnect(PG + "postgres", "postgres"), "PostgreSQL at 127.0.0.1:5432");
        RealComponent.available(canConnect(MY, "root"), "MariaDB at 127.0.0.1:3306");
        sql(PG + "postgres", "postgres", "CREATE DATABASE " + pgDb);
        sql(MY, "root", "CREATE DATABASE " + myDb);
        sql(MY, "root", "CREATE DATABASE " + migDb);
        original = environments.get("staging");
        Environment e = original;
        environments.put(new Environment(e.name(), e.requiresApproval(), e.approverGroup(), e.parallelism(),
                e.approvalReminder(), e.approvalDeadline(), e.ssh(), e.hosts(), e.loadBalancer(),
                e.ansibleInventory(), e.terraformRoot(), List.of(
                        new Environment.Database("appdb", "postgres", "127.0.0.1", 5432, pgDb, "postgres", null, null),
                        new Environment.Database("legacydb", "mariadb", "127.0.0.1", 3306, myDb, "root", null, null),
                        new Environment.Database("migdb", "mariadb", "127.0.0.1", 3306, migDb, "root", null, null)),
                e.artifactStore(), e.appRoot()));
        BackupProperties.EnvironmentBackup staging = new BackupProperties.EnvironmentBackup();
        staging.getWriters().put("appdb", List.of("webapp"));
        staging.getWriters().put("migdb", List.of("webapp"));
        props.getEnvironments().put("staging", staging);
        BackupProperties.Application webapp = new BackupProperties.Application();
        webapp.setDatabase("migdb");
        props.getApplications().put("webapp", webapp);
    }

    @AfterAll
    void tearDown() throws SQLException {
        if (original != null) {
            environments.update("staging", now -> new Environment(now.name(), now.requiresApproval(),
                    now.approverGroup(), now.parallelism(), now.approvalReminder(), now.approvalDeadline(), now.ssh(),
                    now.hosts(), now.loadBalancer(), now.ansibleInventory(), now.terraformRoot(),
                    original.databases(), now.artifactStore(), now.appRoot()));
            props.getEnvironments().remove("staging");
            props.getApplications().remove("webapp");
        }
        sql(PG + "postgres", "postgres", "DROP DATABASE IF EXISTS " + pgDb + " WITH (FORCE)");
        sql(PG + "postgres", "postgres", "DROP DATABASE IF EXISTS " + pgDb + "_opsflow_scratch WITH (FORCE)");
        sql(MY, "root", "DROP DATABASE IF EXISTS " + myDb);
        sql(MY, "root", "DROP DATABASE IF EXISTS " + migDb);
    }

    @Test
    @Order(1)
    void postgresBackedUpDamagedAndRestoredOverTheOriginalHasExactlyItsRowsBack() throws Exception {
        String url = PG + pgDb;
        sql(url, "postgres", "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(50), vip BOOLEAN)");
        sql(url, "postgres", "INSERT INTO customers VALUES (1, 'Ada', true), (2, 'Grace', false), (3, 'Linus', NULL)");
        List<String> before = snapshot(url, "postgres");
        RestClient operator = RestClient.as(port, "operator");

        String backupRun = start(operator, "backup", Map.of("environment", "staging", "target", "appdb",
                "reason", "before the data fix"));
        SandboxApp.awaitEnd(engine, backupRun, RUN);
        assertThat(variable(backupRun, "outcome")).isEqualTo("SUCCEEDED");
        String backupId = (String) variable(backupRun, "backupId");
        BackupEntry entry = catalog.find(backupId).orElseThrow();
        assertThat(entry.rowCounts()).containsEntry("public.customers", 3L);
        assertThat(store.exists(entry.objectKey())).isTrue();
        JsonNode listed = operator.get("/api/backups?environment=staging").json();
        assertThat(listed.get("backups").findValuesAsText("id")).contains(backupId);
        assertThat(operator.get("/api/backups?environment=nowhere").status()).isEqualTo(400);
        assertThat(RestClient.anonymous(port).get("/api/backups").status()).isEqualTo(401);
        RestClient.Response refused = operator.post("/engine-rest/process-definition/key/restore/start",
                Map.of("variables", Map.of("environment", Map.of("value", "staging"), "backupId",
                        Map.of("value", "no-such-backup"), "targetKind", Map.of("value", "original"), "reason",
                        Map.of("value", "x"))));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("backupId: no backup 'no-such-backup'");

        sql(url, "postgres", "DELETE FROM customers WHERE id = 2");
        sql(url, "postgres", "UPDATE customers SET name = 'oops'");
        assertThat(snapshot(url, "postgres")).isNotEqualTo(before);

        String restoreRun = start(operator, "restore", Map.of("environment", "staging", "backupId", backupId,
                "targetKind", "original", "reason", "customers were damaged by a bad data fix"));
        SandboxApp.awaitEnd(engine, restoreRun, RUN);
        assertThat(variable(restoreRun, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(snapshot(url, "postgres")).isEqualTo(before);
        assertThat((String) variable(restoreRun, "stoppedWriters")).contains("webapp");
        assertWebappHealthyOnStaging(operator);
        JsonNode drills = operator.get("/api/backups/drills?environment=staging").json();
        JsonNode run = find(drills.get("runs"), restoreRun);
        assertThat(run.get("outcome").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.get("targetKind").asText()).isEqualTo("original");
        assertThat(run.get("rtoSeconds").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(run.get("rpoSeconds").asLong()).isGreaterThanOrEqualTo(0);
    }

    @Test
    @Order(2)
    void mariadbBackedUpDamagedAndRestoredHasExactlyItsRowsBack() throws Exception {
        String url = MY + myDb;
        sql(url, "root", "CREATE TABLE invoices (id INT PRIMARY KEY, amount DECIMAL(10,2), note VARCHAR(80))");
        sql(url, "root", "INSERT INTO invoices VALUES (1, 10.50, 'first'), (2, 99.99, NULL), (3, 0, 'it''s')");
        List<String> before = snapshot(url, "root");
        String backupRun = startDirect("backup", Map.of("environment", "staging", "target", "legacydb"));
        SandboxApp.awaitEnd(engine, backupRun, RUN);
        assertThat(variable(backupRun, "outcome")).isEqualTo("SUCCEEDED");
        String backupId = (String) variable(backupRun, "backupId");

        sql(url, "root", "DROP TABLE invoices");
        sql(url, "root", "CREATE TABLE invoices (id INT PRIMARY KEY)");
        String restoreRun = startDirect("restore", Map.of("environment", "staging", "backupId", backupId,
                "targetKind", "original", "reason", "table dropped by mistake"));
        SandboxApp.awaitEnd(engine, restoreRun, RUN);
        assertThat(variable(restoreRun, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(snapshot(url, "root")).isEqualTo(before);
    }

    @Test
    @Order(3)
    void aDrillRestoresTheLatestBackupIntoScratchVerifiesDropsItAndRecordsTheRto() throws Exception {
        String drill = startDirect("restore", Map.of("environment", "staging", "backupId", "latest", "target",
                "appdb", "targetKind", "scratch", "reason", "weekly restore drill"));
        SandboxApp.awaitEnd(engine, drill, RUN);
        assertThat(variable(drill, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(variable(drill, "restoredInto")).isEqualTo(pgDb + "_opsflow_scratch");
        assertThat(exists(PG + "postgres", "postgres", "SELECT 1 FROM pg_database WHERE datname = '" + pgDb
                + "_opsflow_scratch'")).isFalse();
        JsonNode drills = RestClient.as(port, "operator").get("/api/backups/drills?environment=staging").json();
        JsonNode run = find(drills.get("runs"), drill);
        assertThat(run.get("drill").asBoolean()).isTrue();
        assertThat(run.get("rtoSeconds").isNumber()).isTrue();
        assertThat(drills.get("summary").get("drillsSucceeded").asInt()).isGreaterThanOrEqualTo(1);
    }

    /**
     * The operator's path in Tasklist: the restore start form lists the catalog's backups of the chosen environment
     * (read with the operator's Tasklist session), the operator picks one, and the drill restores exactly that one.
     */
    @Test
    @Order(4)
    void anOperatorPicksTheBackupFromTheCatalogInTasklistsRestoreForm() throws Exception {
        BackupEntry newest = catalog.latest("staging", "appdb").orElseThrow();
        try (Tasklist tasklist = new Tasklist(port)) {
            tasklist.login("operator");
            tasklist.openStartForm("Restore", "Restore backup");
            WebElement environment = tasklist.visible("environment select", By.id("opsflowEnvironment"));
            tasklist.until("environments from /api/environments", () -> option(environment, "staging") != null);
            option(environment, "staging").click();
            WebElement backup = tasklist.visible("backup select", By.id("opsflowBackupId"));
            tasklist.until("the catalog's backups of staging", () -> option(backup, newest.id()) != null);
            List<String> listed = backup.findElements(By.tagName("option")).stream()
                    .map(o -> o.getAttribute("value")).filter(v -> !v.isEmpty()).toList();
            assertThat(listed).containsExactlyElementsOf(
                    catalog.list("staging").stream().map(BackupEntry::id).toList());
            WebElement chosen = option(backup, newest.id());
            chosen.click();
            assertThat(chosen.isSelected()).isTrue();
            assertThat(chosen.getText()).contains("appdb (postgres)").contains("verified");
            assertThat(tasklist.browser.findElement(By.cssSelector("input[name='targetKind'][value='scratch']"))
                    .isSelected()).isTrue();
            tasklist.browser.findElement(By.id("opsflowReason")).sendKeys("CHG-301: restore drill from Tasklist");
            tasklist.shot("restore-start-form.png");
            Set<String> earlier = engine.getHistoryService().createHistoricProcessInstanceQuery()
                    .processDefinitionKey("restore").list().stream().map(h -> h.getId()).collect(Collectors.toSet());
            tasklist.startButton().click();
            var run = tasklist.until("the restore run", () -> engine.getHistoryService()
                    .createHistoricProcessInstanceQuery().processDefinitionKey("restore").startedBy("operator").list()
                    .stream().filter(h -> !earlier.contains(h.getId())).findFirst().orElse(null));
            SandboxApp.awaitEnd(engine, run.getId(), RUN);
            assertThat(variable(run.getId(), "outcome")).isEqualTo("SUCCEEDED");
            assertThat(variable(run.getId(), "backupId")).isEqualTo(newest.id());
            assertThat(variable(run.getId(), "targetKind")).isEqualTo("scratch");
            assertThat(variable(run.getId(), "incidentAt")).isNull(); // left empty: not sent at all
        }
    }

    @Test
    @Order(5)
    void aFailingMigrationIsRolledBackToTheExactPreMigrationSchemaAndData() throws Exception {
        String url = MY + migDb;
        String first = startDirect("migrate-database", Map.of("environment", "staging", "application", "webapp",
                "version", "1.2.0", "reason", "release 1.2.0"));
        SandboxApp.awaitEnd(engine, first, RUN);
        assertThat(variable(first, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) variable(first, "appliedMigrations")).contains("003_create_orders.sql");
        sql(url, "root", "INSERT INTO orders (id, item_id, quantity) VALUES (1, 1, 3), (2, 2, 1)");
        List<String> before = snapshot(url, "root");

        String broken = startDirect("migrate-database", Map.of("environment", "staging", "application", "webapp",
                "version", "2.0.0-broken", "reason", "release 2.0.0"));
        SandboxApp.awaitEnd(engine, broken, RUN);
        assertThat(variable(broken, "outcome")).isEqualTo("ROLLED_BACK");
        assertThat((String) variable(broken, "failureReason")).contains("004_orders_add_status.sql");
        assertThat(variable(broken, "rollbackVerified")).isEqualTo(true);
        // MariaDB committed the first statement of 004 (column status) before failing; the restore removed it
        assertThat(snapshot(url, "root")).isEqualTo(before);
        assertWebappHealthyOnStaging(RestClient.as(port, "operator"));
    }

    @Test
    @Order(6)
    void retentionDeletesExactlyTheExpiredCopiesWithTheirRows() throws Exception {
        props.getEnvironments().get("staging").setRetention(new BackupProperties.Retention(1, 0));
        List<BackupEntry> before = catalog.list("staging", "appdb");
        assertThat(before).isNotEmpty();
        String run = startDirect("backup", Map.of("environment", "staging", "target", "appdb"));
        SandboxApp.awaitEnd(engine, run, RUN);
        String newest = (String) variable(run, "backupId");
        // everything older of the same day expired: one daily backup is kept, no weekly
        List<BackupEntry> after = catalog.list("staging", "appdb");
        assertThat(after).extracting(BackupEntry::id).containsExactly(newest);
        for (BackupEntry b : before) {
            assertThat(store.exists(b.objectKey())).as(b.id()).isFalse();
        }
        assertThat(store.exists(after.get(0).objectKey())).isTrue();
        assertThat(catalog.list("staging", "legacydb")).isNotEmpty(); // another target is untouched
        assertThat(store.list("staging/appdb/")).extracting(OffsiteStore.StoredObject::key)
                .containsExactly(after.get(0).objectKey());
    }

    @Test
    @Order(7)
    void aConfiguredCronDeploysItsScheduleInTheRunningEngineAndRemovingItStopsIt() {
        BackupSchedules schedules = new BackupSchedules(props, targets);
        props.getEnvironments().get("staging").setCron("0 0 3 * * *");
        try {
            schedules.deploy(engine.getRepositoryService());
            assertThat(engine.getManagementService().createJobQuery().timers()
                    .processDefinitionKey("opsflow-schedule-backup-staging").count()).isEqualTo(1);
        } finally {
            props.getEnvironments().get("staging").setCron(null);
            schedules.deploy(engine.getRepositoryService());
        }
        assertThat(engine.getManagementService().createJobQuery().timers()
                .processDefinitionKey("opsflow-schedule-backup-staging").count()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    String start(RestClient client, String key, Map<String, Object> vars) {
        Map<String, Object> variables = new java.util.LinkedHashMap<>();
        vars.forEach((k, v) -> variables.put(k, Map.of("value", v)));
        RestClient.Response r = client.post("/engine-rest/process-definition/key/" + key + "/start",
                Map.of("variables", variables));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    String startDirect(String key, Map<String, Object> vars) {
        return engine.getRuntimeService().startProcessInstanceByKey(key, new java.util.HashMap<>(vars)).getId();
    }

    private static WebElement option(WebElement select, String value) {
        return select.findElements(By.tagName("option")).stream().filter(o -> value.equals(o.getAttribute("value")))
                .findFirst().orElse(null);
    }

    Object variable(String pi, String name) {
        var v = engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    static JsonNode find(JsonNode runs, String pi) {
        for (JsonNode r : runs) {
            if (pi.equals(r.get("processInstanceId").asText())) {
                return r;
            }
        }
        throw new AssertionError("run " + pi + " not in " + runs);
    }

    void assertWebappHealthyOnStaging(RestClient operator) {
        JsonNode staging = operator.get("/api/environments/staging").json();
        for (JsonNode h : staging.get("hosts")) {
            boolean healthy = false;
            for (JsonNode i : h.get("instances")) {
                healthy |= i.get("application").asText().equals("webapp") && i.get("healthy").asBoolean();
            }
            assertThat(healthy).as("a healthy webapp instance on " + h.get("name")).isTrue();
        }
    }

    static boolean canConnect(String url, String user) {
        try (Connection c = DriverManager.getConnection(url, user, "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    static void sql(String url, String user, String sql) throws SQLException {
        DatabaseSnapshot.sql(url, user, sql);
    }

    static boolean exists(String url, String user, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            return rs.next();
        }
    }

    static List<String> snapshot(String url, String user) throws SQLException {
        return DatabaseSnapshot.of(url, user);
    }
}
