package io.opsflow.logs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * A {@link LogReport} as JSON and as one self-contained HTML page (no script, no external resource) with an inline
 * SVG chart: errors per minute per host over the window, opsflow's changes (release, restart, scale) as dashed
 * vertical lines. Everything from the logs is HTML-escaped.
 */
final class ReportRenderer {
    static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    private static final String[] COLOURS = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    static final int WIDTH = 900;
    static final int HEIGHT = 260;
    private static final int LEFT = 50;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 40;

    private ReportRenderer() {
    }

    static byte[] json(LogReport r) {
        try {
            return JSON.writeValueAsBytes(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the log analysis as JSON: " + e.getMessage(), e);
        }
    }

    static String html(LogReport r) {
        StringBuilder b = new StringBuilder(16384);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log analysis ")
                .append(esc(r.environment())).append("</title>\n<style>body{font-family:sans-serif;margin:1.5em;}"
                        + "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:"
                        + "3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:90%}"
                        + ".sum{background:#fff8e1;padding:.6em;border-left:4px solid #f0ad4e}</style></head><body>\n");
        b.append("<h1>Log analysis: ").append(esc(r.environment()));
        if (r.application() != null) {
            b.append(" / ").append(esc(r.application()));
        }
        b.append("</h1>\n<p>Window <b>").append(r.from()).append("</b> to <b>").append(r.to())
                .append("</b>; source <b>").append(esc(r.source())).append("</b>; run <code>").append(esc(r.runId()))
                .append("</code>; generated ").append(r.generatedAt()).append("</p>\n");
        b.append("<p class=\"sum\">").append(esc(r.summary())).append("</p>\n");
        b.append("<h2>Errors per minute and host</h2>\n").append(svg(r)).append('\n');
        if (!r.correlations().isEmpty()) {
            b.append("<h2>Correlation with opsflow runs</h2>\n<ul>\n");
            for (LogReport.Correlation c : r.correlations()) {
                b.append("<li>").append(esc(c.sentence())).append("</li>\n");
            }
            b.append("</ul>\n");
        }
        b.append("<h2>Hosts</h2>\n<table><tr><th>host</th><th>lines</th><th>errors</th><th>first error</th>"
                + "<th>load balancer 5xx</th><th>slow requests</th></tr>\n");
        for (LogReport.HostSummary h : r.hosts()) {
            b.append("<tr><td>").append(esc(h.host())).append("</td><td>").append(h.lines()).append("</td><td>")
                    .append(h.errors()).append("</td><td>").append(h.firstError() == null ? "" : h.firstError())
                    .append("</td><td>").append(h.lb5xx()).append("</td><td>").append(h.slowRequests())
                    .append("</td></tr>\n");
        }
        b.append("</table>\n<h2>Top error signatures</h2>\n<table><tr><th>count</th><th>signature</th><th>hosts</th>"
                + "<th>first</th><th>last</th><th>example</th></tr>\n");
        for (LogReport.SignatureCount s : r.topSignatures()) {
            b.append("<tr><td>").append(s.count()).append("</td><td><code>").append(esc(s.signature()))
                    .append("</code></td><td>").append(esc(String.join(", ", s.hosts()))).append("</td><td>")
                    .append(s.first()).append("</td><td>").append(s.last()).append("</td><td><code>")
                    .append(esc(s.example())).append("</code></td></tr>\n");
        }
        b.append("</table>\n<h2>Slowest requests (&ge; ").append(r.slowThresholdMs()).append(" ms)</h2>\n"
                + "<table><tr><th>ms</th><th>host</th><th>time</th><th>status</th><th>request</th></tr>\n");
        for (LogReport.SlowRequest s : r.slowest()) {
            b.append("<tr><td>").append(s.durationMs()).append("</td><td>").append(esc(s.host())).append("</td><td>")
                    .append(s.time()).append("</td><td>").append(s.status() == null ? "" : s.status())
                    .append("</td><td><code>").append(esc(s.request())).append("</code></td></tr>\n");
        }
        b.append("</table>\n");
        if (!r.patternCounts().isEmpty()) {
            b.append("<h2>Your patterns</h2>\n<table><tr><th>pattern</th><th>lines</th></tr>\n");
            r.patternCounts().forEach((p, n) -> b.append("<tr><td><code>").append(esc(p)).append("</code></td><td>")
                    .append(n).append("</td></tr>\n"));
            b.append("</table>\n");
        }
        if (!r.notes().isEmpty()) {
            b.append("<h2>Notes</h2>\n<ul>\n");
            r.notes().forEach(n -> b.append("<li>").append(esc(n)).append("</li>\n"));
            b.append("</ul>\n");
        }
        return b.append("</body></html>\n").toString();
    }

    /**
     * The chart: one stepped line per host (errors in each minute of the window, on the time axis), a dashed line and
     * a label per opsflow change.
     */
    static String svg(LogReport r) {
        long max = 1;
        for (LogReport.HostSummary h : r.hosts()) {
            for (long v : h.errorsPerMinute()) {
                max = Math.max(max, v);
            }
        }
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double span = Math.max(1, Duration.between(r.from(), r.to()).toMillis());
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT + 20 * Math.max(1, r.hosts().size())).append("\" role=\"img\" aria-label=\"errors per "
                        + "minute per host\" font-family=\"sans-serif\" font-size=\"11\">\n");
        b.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(fmt(plotW))
                .append("\" height=\"").append(fmt(plotH)).append("\" fill=\"#fafafa\" stroke=\"#999\"/>\n");
        b.append("<text x=\"5\" y=\"").append(TOP + 10).append("\">").append(max).append("/min</text>\n");
        b.append("<text x=\"5\" y=\"").append(TOP + (int) plotH).append("\">0</text>\n");
        b.append("<text x=\"").append(LEFT).append("\" y=\"").append(HEIGHT - 22).append("\">").append(r.from())
                .append("</text>\n<text x=\"").append(WIDTH - RIGHT).append("\" y=\"").append(HEIGHT - 22)
                .append("\" text-anchor=\"end\">").append(r.to()).append("</text>\n");
        for (int i = 0; i < r.moments().size(); i++) {
            Moment m = r.moments().get(i);
            double x = LEFT + plotW * Duration.between(r.from(), m.time()).toMillis() / span;
            boolean right = x > LEFT + plotW / 2;
            b.append("<line class=\"moment\" x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"")
                    .append(TOP).append("\" y2=\"").append(fmt(TOP + plotH)).append("\" stroke=\"#333\" "
                            + "stroke-dasharray=\"4 3\"><title>").append(esc(m.time() + " " + m.runLabel() + " "
                            + m.action())).append("</title></line>\n");
            // labels step down so that changes close together stay readable; right of the middle they end at the line
            b.append("<text x=\"").append(fmt(right ? x - 3 : x + 3)).append("\" y=\"").append(TOP + 12 + 12 * (i % 6))
                    .append(right ? "\" text-anchor=\"end\">" : "\">").append(esc(m.runbook() + ": " + m.action()))
                    .append("</text>\n");
        }
        for (int i = 0; i < r.hosts().size(); i++) {
            LogReport.HostSummary h = r.hosts().get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            List<Long> series = h.errorsPerMinute();
            // a step per minute: the minute's count from its start to its end on the time axis
            for (int k = 0; k < series.size(); k++) {
                double x0 = LEFT + plotW * Math.min(span, k * 60_000.0) / span;
                double x1 = LEFT + plotW * Math.min(span, (k + 1) * 60_000.0) / span;
                double y = TOP + plotH - plotH * series.get(k) / max;
                pts.append(fmt(x0)).append(',').append(fmt(y)).append(' ').append(fmt(x1)).append(',').append(fmt(y))
                        .append(' ');
            }
            b.append("<polyline class=\"host\" data-host=\"").append(esc(h.host())).append("\" fill=\"none\" "
                    + "stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"").append(pts.toString().strip())
                    .append("\"><title>").append(esc(h.host() + ": " + h.errors() + " error(s)")).append("</title>"
                            + "</polyline>\n");
            int ly = HEIGHT + 20 * i;
            b.append("<rect x=\"").append(LEFT).append("\" y=\"").append(ly - 9).append("\" width=\"12\" height=\"3\""
                    + " fill=\"").append(colour).append("\"/><text x=\"").append(LEFT + 18).append("\" y=\"")
                    .append(ly).append("\">").append(esc(h.host() + " (" + h.errors() + " errors, " + h.lb5xx()
                            + " LB 5xx)")).append("</text>\n");
        }
        return b.append("</svg>").toString();
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
            }
        }
        return b.toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

}
