package io.opsflow.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The analysis on its own: parsing, signatures, rates per minute, correlation, patterns, the report's HTML. */
class LogAnalysisTest {
    static final Instant FROM = Instant.parse("2026-12-06T21:00:00Z");
    static final Instant TO = Instant.parse("2026-12-06T21:10:00Z");

    @Test
    void signaturesFoldNumbersIdsUuidsTimestampsAndAddresses() {
        assertThat(Signatures.of("order 12345 failed at 2026-12-06T21:03:04.123Z for 4f1c2b7e-1d7a-4c55-9a8e-2b1f0c3d4e5f"
                + " from 10.1.2.3:8080 (trace deadbeef0042, took 3.5 s)"))
                .isEqualTo("order <n> failed at <ts> for <uuid> from <ip> (trace <hex>, took <n> s)");
        assertThat(Signatures.of("user bob@example.com locked")).isEqualTo("user <email> locked");
        assertThat(Signatures.of("a   b\t c")).isEqualTo("a b c");
        // words are not ids: only hex runs of 8+ with letters and digits fold
        assertThat(Signatures.of("cafebabe decoded")).isEqualTo("cafebabe decoded");
        assertThat(Signatures.of("x".repeat(500))).hasSize(Signatures.MAX + 1);
    }

    @Test
    void linesOfTheApplicationAndTheLoadBalancerParse() {
        LogLine app = LogLine.parse("web-1\tapp:webapp/blue\t2026-12-06T21:00:01.500Z ERROR webapp 2.0.0-broken blue:"
                + " boom");
        assertThat(app.error()).isTrue();
        assertThat(app.message()).isEqualTo("boom");
        assertThat(app.time()).isEqualTo(Instant.parse("2026-12-06T21:00:01.500Z"));
        LogLine access = LogLine.parse("web-1\tapp:webapp/blue\t2026-12-06T21:00:02Z INFO webapp 1.1.0 blue: access "
                + "127.0.0.1 \"GET /work?seconds=2 HTTP/1.1\" 200 - 2004ms");
        assertThat(access.kind()).isEqualTo(LogLine.Kind.ACCESS);
        assertThat(access.durationMs()).isEqualTo(2004L);
        LogLine lb = LogLine.parse("web-1\tlb:lb-access.log\t2026-12-06T21:00:03.001Z haproxy[staging]: 127.0.0.1 "
                + "\"GET / HTTP/1.1\" webapp/web-1-blue 503 7ms");
        assertThat(lb.kind()).isEqualTo(LogLine.Kind.LB);
        assertThat(lb.serverError()).isTrue();
        assertThat(LogLine.parse("web-1\tapp:webapp/blue\t  at Traceback line 3")).isNull();
        assertThat(LogLine.parse("web-1\tapp:webapp/blue\t2026-12-06T21:00:04Z starting webapp/blue version 1.0.0"))
                .extracting(LogLine::error).isEqualTo(false);
        // local time without an offset is read as UTC, an offset is honoured
        assertThat(LogLine.parse("h\ts\t2026-12-06T22:00:00+01:00 ERROR x").time()).isEqualTo(
                Instant.parse("2026-12-06T21:00:00Z"));
    }

    @Test
    void errorsAreCountedPerHostAndMinuteAndOutsideTheWindowIgnored() {
        LogAnalyzer a = new LogAnalyzer(FROM, TO, 1000, LogPatterns.none(), List.of("web-1", "web-2"));
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:00:10Z ERROR webapp 2 blue: failed id 1");
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:00:50Z ERROR webapp 2 blue: failed id 2");
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:03:00Z ERROR webapp 2 blue: failed id 3");
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:09:59Z WARN webapp 2 blue: slowish");
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:11:00Z ERROR webapp 2 blue: after the window");
        a.accept("web-1\tlb:lb-access.log\t2026-12-06T21:04:00Z haproxy[s]: 1.2.3.4 \"GET / HTTP/1.1\" webapp/web-1-blue "
                + "502 1500ms");
        LogReport r = a.report("run-1", "staging", null, "ssh", List.of());
        LogReport.HostSummary web2 = r.hosts().get(1);
        assertThat(web2.errors()).isEqualTo(3);
        assertThat(web2.errorsPerMinute()).hasSize(10).startsWith(2L, 0L, 0L, 1L);
        assertThat(web2.firstError()).isEqualTo(Instant.parse("2026-12-06T21:00:10Z"));
        LogReport.HostSummary web1 = r.hosts().get(0);
        assertThat(web1.lb5xx()).isEqualTo(1);
        assertThat(web1.lb5xxPerMinute().get(4)).isEqualTo(1L);
        assertThat(web1.slowRequests()).isEqualTo(1);
        assertThat(r.topSignatures()).singleElement().satisfies(s -> {
            assertThat(s.signature()).isEqualTo("failed id <n>");
            assertThat(s.count()).isEqualTo(3);
        });
        assertThat(r.totalErrors()).isEqualTo(3);
    }

    @Test
    void theFirstErrorOfAHostIsSetAgainstTheLastChangeToItBefore() {
        Instant activated = Instant.parse("2026-12-06T21:02:00Z");
        List<Moment> moments = List.of(
                new Moment(Instant.parse("2026-12-06T21:01:00Z"), "r-restart", "restart", "restarted services",
                        List.of(), false),
                new Moment(activated, "r-rel", "release", "switched it to 2.0.0-broken", List.of("web-2"), false),
                new Moment(Instant.parse("2026-12-06T21:02:30Z"), "r-rel", "release", "switched it to 2.0.0-broken",
                        List.of("web-1"), false),
                new Moment(Instant.parse("2026-12-06T21:05:00Z"), "r-rel", "release", "rolled it back from 2.0.0-broken",
                        List.of(), true));
        LogAnalyzer a = new LogAnalyzer(FROM, TO, 1000, LogPatterns.none(), List.of("web-1", "web-2"), moments);
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:02:40Z ERROR webapp 2.0.0-broken blue: boom");
        a.accept("web-2\tapp:webapp/blue\t2026-12-06T21:05:02Z ERROR webapp 2.0.0-broken blue: boom");
        LogReport r = a.report("run-1", "staging", "webapp", "ssh", List.of());
        assertThat(r.correlations()).as("the rollback is not a cause").singleElement().satisfies(c -> {
            assertThat(c.runId()).isEqualTo("r-rel");
            assertThat(c.secondsAfter()).isEqualTo(40);
            assertThat(c.sentence()).isEqualTo("errors on web-2 began 40 s after release run r-rel switched it to "
                    + "2.0.0-broken");
        });
        assertThat(r.summary()).contains("Errors on web-2 began 40 s after release run r-rel");
        // no change before the first error: said so
        LogAnalyzer early = new LogAnalyzer(FROM, TO, 1000, LogPatterns.none(), List.of("web-1"), moments);
        early.accept("web-1\tapp:webapp/blue\t2026-12-06T21:00:30Z ERROR webapp 1.1.0 blue: boom");
        assertThat(early.report("run-2", "staging", null, "ssh", List.of()).correlations()).singleElement()
                .extracting(LogReport.Correlation::sentence).asString()
                .contains("opsflow made no release, restart or scale change to it");
        // the chart marks every change in the window and draws one line per host
        String svg = ReportRenderer.svg(r);
        assertThat(svg.split("class=\"moment\"", -1)).hasSize(5);
        assertThat(svg).contains("data-host=\"web-1\"").contains("data-host=\"web-2\"");
    }

    @Test
    void twoBrokenReleasesInOneWindowAreBothNamedAndErrorsStillGoingOnContinue() {
        List<Moment> moments = List.of(
                new Moment(Instant.parse("2026-12-06T21:01:00Z"), "first", "release", "switched it to 2.0.0-broken",
                        List.of("web-1"), false),
                new Moment(Instant.parse("2026-12-06T21:01:30Z"), "first", "release", "rolled it back from 2.0.0-broken",
                        List.of(), true),
                new Moment(Instant.parse("2026-12-06T21:01:50Z"), "second", "release", "switched it to 2.0.0-broken",
                        List.of("web-1"), false),
                new Moment(Instant.parse("2026-12-06T21:03:00Z"), "restart", "restart", "restarted services",
                        List.of(), false));
        LogAnalyzer a = new LogAnalyzer(FROM, TO, 1000, LogPatterns.none(), List.of("web-1"), moments);
        for (String t : List.of("21:01:02", "21:01:20", "21:01:31", "21:01:53", "21:02:30", "21:02:58", "21:03:05")) {
            a.accept("web-1\tapp:webapp/blue\t2026-12-06T" + t + "Z ERROR webapp 2.0.0-broken blue: boom");
        }
        assertThat(a.report("r", "staging", null, "ssh", List.of()).correlations())
                .extracting(LogReport.Correlation::sentence).containsExactly(
                        "errors on web-1 began 2 s after release run first switched it to 2.0.0-broken",
                        "errors on web-1 began 3 s after release run second switched it to 2.0.0-broken",
                        "errors on web-1 continued after restart run restart restarted services (failing before it)");
    }

    @Test
    void patternsAreLiteralsOrBoundedGlobsNeverRegularExpressions() {
        List<String> errors = new ArrayList<>();
        LogPatterns p = LogPatterns.parse("Connection refused\n*timeout after * ms*;(a+)+$", errors);
        assertThat(errors).isEmpty();
        assertThat(p.matching("ERROR connection REFUSED by db")).containsExactly("Connection refused");
        assertThat(p.matching("call timeout after 3000 ms, giving up")).containsExactly("*timeout after * ms*");
        // regex syntax is literal text
        assertThat(p.matching("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")).isEmpty();
        assertThat(p.matching("x (a+)+$ y")).containsExactly("(a+)+$");
        // a glob built to make a backtracking matcher explode stays linear
        LogPatterns evil = LogPatterns.parse("*a*a*a*a*a*a*a*b", errors);
        String text = "a".repeat(100_000);
        long t0 = System.nanoTime();
        assertThat(evil.matching(text)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(errors).isEmpty();

        LogPatterns.parse("x".repeat(101), errors);
        LogPatterns.parse("ok\u0007bell", errors);
        LogPatterns.parse(String.join(";", java.util.Collections.nCopies(21, "p")), errors);
        assertThat(errors).containsExactly("patterns: each pattern must be at most 100 characters",
                "patterns: control characters are not allowed", "patterns: at most 20 patterns (got 21)");
    }

    @Test
    void theHtmlReportEscapesWhatTheLogsSay() {
        LogAnalyzer a = new LogAnalyzer(FROM, TO, 1000, LogPatterns.none(), List.of("web-1"));
        a.accept("web-1\tapp:webapp/blue\t2026-12-06T21:00:10Z ERROR webapp 2 blue: <script>alert(1)</script>");
        String html = ReportRenderer.html(a.report("run-1", "staging", null, "ssh", List.of()));
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(&lt;n&gt;)&lt;/script&gt;").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
}
