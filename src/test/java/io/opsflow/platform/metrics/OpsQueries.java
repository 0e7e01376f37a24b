package io.opsflow.platform.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The PromQL expressions of ops/ (every dashboard panel target and template variable query, every alert rule) and
 * the metric names they read, parsed conservatively: strings, label matchers, ranges, grouping lists, Grafana
 * variables and numbers are removed, then every identifier not followed by "(" that is no PromQL keyword is a
 * metric name. Prometheus's own series (not exported by the application) are allowed by name:
 * {@link #PROMETHEUS_BUILT_INS}.
 */
final class OpsQueries {
    static final Path DASHBOARD = Path.of("ops/grafana/opsflow.json");
    static final Path RULES = Path.of("ops/prometheus/opsflow-rules.yml");
    /** Series Prometheus makes itself for every scrape target; nothing else may be read that opsflow does not export. */
    static final Set<String> PROMETHEUS_BUILT_INS = Set.of("up");

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset", "inf", "nan", "atan2");
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");

    private OpsQueries() {
    }

    /** Every {@code expr} of the dashboard's panels (rows' nested panels too) and its variables' queries. */
    static List<String> dashboardExpressions() throws IOException {
        JsonNode dash = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        List<String> exprs = new ArrayList<>();
        collectPanels(dash.path("panels"), exprs);
        for (JsonNode v : dash.path("templating").path("list")) {
            if (!"query".equals(v.path("type").asText())) {
                continue;
            }
            JsonNode q = v.path("query");
            String text = q.isTextual() ? q.asText() : q.path("query").asText();
            Matcher m = Pattern.compile("label_values\\((.*),\\s*[A-Za-z_]+\\)").matcher(text);
            exprs.add(m.matches() ? m.group(1) : text);
        }
        return exprs;
    }

    private static void collectPanels(JsonNode panels, List<String> exprs) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                if (t.hasNonNull("expr")) {
                    exprs.add(t.get("expr").asText());
                }
            }
            collectPanels(p.path("panels"), exprs);
        }
    }

    /** Every alert or recording rule's {@code expr} in the rules file. */
    static List<String> ruleExpressions() throws IOException {
        // the file is YAML; Jackson's YAML module is not on the classpath, SnakeYAML (Spring Boot's) is
        Object doc = new org.yaml.snakeyaml.Yaml().load(Files.readString(RULES));
        List<String> exprs = new ArrayList<>();
        for (Object g : (List<?>) ((java.util.Map<?, ?>) doc).get("groups")) {
            for (Object r : (List<?>) ((java.util.Map<?, ?>) g).get("rules")) {
                exprs.add(String.valueOf(((java.util.Map<?, ?>) r).get("expr")));
            }
        }
        return exprs;
    }

    /** The metric names an expression reads. */
    static Set<String> metricNames(String expr) {
        String s = expr;
        s = s.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ");               // strings
        s = s.replaceAll("'(?:[^'\\\\]|\\\\.)*'", " ");
        s = s.replaceAll("\\{[^}]*}", " ");                                  // label matchers
        s = s.replaceAll("\\[[^]]*]", " ");                                  // ranges, subqueries
        s = s.replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        s = s.replaceAll("\\$\\{?[A-Za-z_][A-Za-z0-9_]*}?", " ");           // Grafana variables
        s = s.replaceAll("\\boffset\\s+\\S+", " ");
        s = s.replaceAll("(?<![A-Za-z_:0-9])[0-9][0-9.eE+-]*[a-z]*", " ");  // numbers, durations
        Set<String> names = new TreeSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group();
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            boolean call = next < s.length() && s.charAt(next) == '(';
            if (!call && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }

    /** The sample names in a Prometheus text exposition. */
    static Set<String> exported(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = IDENT.matcher(line);
            if (m.lookingAt()) {
                names.add(m.group());
            }
        }
        return names;
    }
}
