package io.opsflow.platform.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An HTML page of the dashboard's panels drawn from one scrape (no Prometheus, no Grafana): per panel its title and,
 * for every metric its queries read, the exported series as bars — a histogram's {@code _bucket} series summed per
 * bucket. What the README's picture of the dashboard shows, rendered by headless Chromium.
 */
final class PanelSnapshot {
    private static final Pattern SAMPLE = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)(\\{([^}]*)})? (\\S+)",
            Pattern.MULTILINE);
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");
    private static final Pattern LABEL_VALUE = Pattern.compile("=\"([^\"]*)\"");

    private PanelSnapshot() {
    }

    static String html(String scrape) throws IOException {
        JsonNode dash = new ObjectMapper().readTree(Files.readString(OpsQueries.DASHBOARD));
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><style>
                *{box-sizing:border-box} body{font:12px sans-serif;background:#111217;color:#ccccdc;margin:0;padding:12px;width:1400px}
                h1{font-size:16px;margin:0 0 8px} .grid{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:8px}
                .p{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:8px;min-height:110px;overflow:hidden}
                .p h2{font-size:13px;margin:0 0 6px;color:#fff} .m{color:#8e8e8e;margin:4px 0 2px}
                .r{display:flex;align-items:center;gap:6px;margin:1px 0} .l{width:250px;flex:none;overflow:hidden;
                white-space:nowrap;text-overflow:ellipsis} .b{height:10px;flex:none;background:#73bf69} .v{min-width:40px}
                </style></head><body><h1>opsflow — dashboard panels from one scrape of /actuator/prometheus</h1>
                <div class="grid">""");
        for (JsonNode p : dash.path("panels")) {
            if ("row".equals(p.path("type").asText())) {
                continue;
            }
            h.append("<div class=\"p\"><h2>").append(esc(p.path("title").asText())).append("</h2>");
            List<String> names = new ArrayList<>();
            for (JsonNode t : p.path("targets")) {
                OpsQueries.metricNames(t.path("expr").asText()).stream().filter(n -> !names.contains(n))
                        .forEach(names::add);
            }
            for (String name : names) {
                h.append("<div class=\"m\">").append(esc(name)).append("</div>");
                bars(h, series(scrape, name));
            }
            h.append("</div>");
        }
        return h.append("</div></body></html>").toString();
    }

    /** label set → value of one metric; a histogram's buckets summed per bucket (not cumulative). */
    static Map<String, Double> series(String scrape, String name) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (OpsQueries.PROMETHEUS_BUILT_INS.contains(name)) {
            out.put("(Prometheus: 1 while the scrape works)", 1.0);
            return out;
        }
        boolean bucket = name.endsWith("_bucket");
        TreeMap<Double, Double> cumulative = new TreeMap<>();
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            String labels = m.group(3) == null ? "" : m.group(3);
            double v = Double.parseDouble(m.group(4));
            if (bucket) {
                Matcher le = LE.matcher(labels);
                if (le.find()) {
                    double b = "+Inf".equals(le.group(1)) ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                    cumulative.merge(b, v, Double::sum);
                }
            } else {
                out.put(String.join(" · ", LABEL_VALUE.matcher(labels).results().map(r -> r.group(1)).toList()), v);
            }
        }
        double previous = 0;
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            double n = e.getValue() - previous;
            previous = e.getValue();
            if (n > 0) {
                out.put("≤ " + (e.getKey().isInfinite() ? "+Inf" : seconds(e.getKey())), n);
            }
        }
        return out;
    }

    private static String seconds(double s) {
        return s >= 3600 ? String.format("%.1f h", s / 3600) : s >= 60 ? String.format("%.1f min", s / 60)
                : String.format("%.2f s", s);
    }

    private static void bars(StringBuilder h, Map<String, Double> series) {
        List<Map.Entry<String, Double>> top = series.entrySet().stream()
                .sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(8).toList();
        double max = top.stream().mapToDouble(Map.Entry::getValue).max().orElse(0);
        if (top.isEmpty()) {
            h.append("<div class=\"r\">(no series yet)</div>");
        }
        if (max == 0 && series.size() > 3) {
            h.append("<div class=\"r\">").append(series.size()).append(" series, all 0</div>");
            return;
        }
        for (Map.Entry<String, Double> e : top) {
            int w = max == 0 ? 0 : (int) Math.round(130 * e.getValue() / max);
            h.append("<div class=\"r\"><span class=\"l\" title=\"").append(esc(e.getKey())).append("\">")
                    .append(esc(e.getKey().isEmpty() ? "(total)" : e.getKey())).append("</span><span class=\"b\" ")
                    .append("style=\"width:").append(w).append("px\"></span><span class=\"v\">")
                    .append(String.format("%.4g", e.getValue())).append("</span></div>");
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Writes the page and a PNG of it (headless Chromium's --screenshot) into {@code dir}; returns the PNG. */
    static Path render(String scrape, Path dir, Path chromium) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path page = dir.resolve("opsflow-dashboard.html");
        Files.writeString(page, html(scrape));
        Path png = dir.resolve("opsflow-dashboard.png");
        Path profile = Files.createTempDirectory("opsflow-chromium-");
        Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                "--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=1400,660",
                "--screenshot=" + png.toAbsolutePath(), page.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish the screenshot");
        }
        return png;
    }
}
