package io.opsflow.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The PromQL name extraction the dashboard/alert check relies on, and that ops/ parses at all. */
class OpsQueriesTest {

    @Test
    void namesAreSelectorsNotFunctionsLabelsOrVariables() {
        assertThat(OpsQueries.metricNames("histogram_quantile(0.95, sum by (le, runbook) "
                + "(increase(opsflow_run_duration_seconds_bucket{runbook=~\"$runbook\"}[6h])))"))
                .containsExactly("opsflow_run_duration_seconds_bucket");
        assertThat(OpsQueries.metricNames("opsflow_jobs_executable > 10 and deriv(opsflow_jobs_executable[15m]) > 0"))
                .containsExactly("opsflow_jobs_executable");
        assertThat(OpsQueries.metricNames("sum(x_total{a=\"b\"}) by (a) / clamp_min(sum(y_total offset 5m), 1)"))
                .containsExactly("x_total", "y_total");
        assertThat(OpsQueries.metricNames("up{job=~\"$job\"} == 0")).containsExactly("up");
        assertThat(OpsQueries.metricNames("opsflow_locks_oldest_age_seconds > 6 * 3600 unless on(instance) "
                + "{__name__=\"z\"}")).containsExactly("opsflow_locks_oldest_age_seconds");
        assertThat(OpsQueries.metricNames("sum(increase(a_bucket[$__interval])) / 1e3"))
                .containsExactly("a_bucket");
    }

    @Test
    void everyDashboardPanelAndRuleHasAnExpressionThatReadsOpsflowOrBuiltInMetrics() throws Exception {
        var exprs = new java.util.ArrayList<>(OpsQueries.dashboardExpressions());
        assertThat(exprs).hasSizeGreaterThan(15);
        var rules = OpsQueries.ruleExpressions();
        assertThat(rules).hasSize(7);
        exprs.addAll(rules);
        for (String e : exprs) {
            assertThat(OpsQueries.metricNames(e)).as(e).isNotEmpty().allSatisfy(name -> assertThat(
                    name.startsWith("opsflow_") || OpsQueries.PROMETHEUS_BUILT_INS.contains(name)).as(name).isTrue());
        }
    }

    @Test
    void exportedNamesComeFromSampleLines() {
        String text = "# HELP a_total x\n# TYPE a_total counter\na_total{x=\"1\"} 1.0\nb_seconds_bucket{le=\"+Inf\"} 2\n"
                + "c 3\n";
        assertThat(OpsQueries.exported(text)).containsExactly("a_total", "b_seconds_bucket", "c");
    }
}
