package io.opsflow.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * The dashboard and the alert rules in ops/ read only what the application exports: a production release runs in the
 * sandbox (evidence steps, an approval, a rejection), then {@code /actuator/prometheus} is scraped and every metric
 * name of every dashboard panel query and every alert expression must be there (Prometheus's own {@code up} is the
 * only exception, {@link OpsQueries#PROMETHEUS_BUILT_INS}); and the run moved the counters: one more run started and
 * ended REJECTED for release-version in production, steps and the approval wait observed.
 */
@SandboxApp.Test
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class MetricsExportIT {
    static final Duration RUN = Duration.ofMinutes(5);
    static final Pattern SAMPLE = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)(\\{[^}]*})? (\\S+)", Pattern.MULTILINE);

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;

    String scrape() {
        RestClient.Response r = RestClient.as(port, "admin").get("/actuator/prometheus");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /** The sum of every sample of {@code name} whose labels contain all of {@code labels} ({@code k="v"}). */
    static double value(String scrape, String name, String... labels) {
        double sum = 0;
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            String lbls = m.group(2) == null ? "" : m.group(2);
            if (m.group(1).equals(name) && List.of(labels).stream().allMatch(lbls::contains)) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void aRejectedProductionReleaseMovesTheRunMetersAndEveryQueriedMetricIsExported() throws Exception {
        String before = scrape();
        String[] run = {"runbook=\"release-version\"", "environment=\"production\""};
        double started = value(before, "opsflow_runs_started_total", run);
        double rejected = value(before, "opsflow_runs_ended_total", run[0], run[1], "outcome=\"REJECTED\"");
        double steps = value(before, "opsflow_step_duration_seconds_count", run[0]);
        double waits = value(before, "opsflow_approval_wait_seconds_count", run[0]);
        double runs = value(before, "opsflow_run_duration_seconds_count", run[0]);

        String pi = SandboxApp.start(RestClient.as(port, "approver"), "release-version", "environment",
                "production", "application", "webapp", "version", "1.2.0", "strategy", "rolling", "reason",
                "CHG-42: metrics check");
        Task approve = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);
        SandboxApp.await(() -> value(scrape(), "opsflow_runs_started_total", run) > started, RUN,
                "the run to be counted as started");
        assertThat(value(scrape(), "opsflow_approvals_waiting")).isGreaterThanOrEqualTo(1);

        RestClient.Response reject = RestClient.as(port, "approver2").post("/engine-rest/task/" + approve.getId()
                + "/complete", RestClient.variables("approved", false, "comment", "not today"));
        assertThat(reject.status()).as(reject.body()).isEqualTo(204);
        SandboxApp.awaitEnd(engine, pi, RUN);
        assertThat(SandboxApp.var(engine, pi, "outcome")).isEqualTo("REJECTED");

        // recorded after the commit of the run's last transaction: wait for it, do not race it
        SandboxApp.await(() -> value(scrape(), "opsflow_runs_ended_total", run[0], run[1], "outcome=\"REJECTED\"")
                > rejected, RUN, "the run to be counted as ended REJECTED");
        String after = scrape();
        assertThat(value(after, "opsflow_runs_started_total", run)).isEqualTo(started + 1);
        assertThat(value(after, "opsflow_runs_ended_total", run[0], run[1], "outcome=\"REJECTED\""))
                .isEqualTo(rejected + 1);
        assertThat(value(after, "opsflow_step_duration_seconds_count", run[0])).isGreaterThan(steps);
        assertThat(value(after, "opsflow_approval_wait_seconds_count", run[0])).isEqualTo(waits + 1);
        assertThat(value(after, "opsflow_run_duration_seconds_count", run[0])).isEqualTo(runs + 1);
        assertThat(after).doesNotContain(pi);

        Set<String> exported = OpsQueries.exported(after);
        Map<String, Set<String>> missing = new TreeMap<>();
        List<String> exprs = new ArrayList<>(OpsQueries.dashboardExpressions());
        exprs.addAll(OpsQueries.ruleExpressions());
        for (String expr : exprs) {
            for (String name : OpsQueries.metricNames(expr)) {
                if (!exported.contains(name) && !OpsQueries.PROMETHEUS_BUILT_INS.contains(name)) {
                    missing.computeIfAbsent(name, n -> new TreeSet<>()).add(expr);
                }
            }
        }
        assertThat(missing).as("metrics read by ops/ but not exported").isEmpty();
        // the notification counters exist before any notification was sent, for every channel and event
        assertThat(value(after, "opsflow_notifications_failed_total", "channel=\"webhook\"",
                "event=\"approval-needed\"")).isGreaterThanOrEqualTo(0);
        assertThat(after).contains("opsflow_notifications_failed_total{channel=\"email\",event=\"rolled-back\"")
                .contains("opsflow_notifications_sent_total{channel=\"webhook\",event=\"succeeded\"");
        assertThat(after).contains("opsflow_incidents_open{runbook=\"release-version\"}");
    }

    /** Misuse: the metrics are not public, and an operator reading them does not see fewer runs than an admin. */
    @Test
    void metricsNeedAUserAndEveryUserSeesTheSameEngineGauges() {
        assertThat(RestClient.anonymous(port).get("/actuator/prometheus").status()).isEqualTo(401);
        assertThat(new RestClient("http://127.0.0.1:" + port, "mallory").get("/actuator/prometheus").status())
                .isEqualTo(401);
        SandboxApp.await(() -> {
            String admin = scrape();
            String operator = RestClient.as(port, "operator").get("/actuator/prometheus").body();
            return value(admin, "opsflow_runs_active") == value(operator, "opsflow_runs_active")
                    && value(admin, "opsflow_approvals_waiting") == value(operator, "opsflow_approvals_waiting");
        }, RUN, "the same gauges for admin and operator");
    }

    /**
     * The dashboard's panels drawn from a scrape after the release above (headless Chromium): the picture in the
     * README comes from target/dashboard/opsflow-dashboard.png.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void thePanelsRenderFromAScrape() throws Exception {
        java.nio.file.Path chromium = io.opsflow.testsupport.RealComponent.require("chromium",
                "apt-get install chromium", "/usr/bin/chromium");
        String scrape = scrape();
        String html = PanelSnapshot.html(scrape);
        assertThat(html).contains("Runs ended by outcome").contains("opsflow_runs_ended_total")
                .contains("Step duration (heatmap)").doesNotContain("(no series yet)");
        java.nio.file.Path png = PanelSnapshot.render(scrape, java.nio.file.Path.of("target/dashboard"), chromium);
        assertThat(java.nio.file.Files.size(png)).isGreaterThan(10_000);
    }
}
