package io.opsflow.logs;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One collected log line, parsed. The stored form of a collected line is {@code <host>\t<source>\t<line as logged>}
 * (sources {@code app:<app>/<instance>} and {@code lb:<file>}). Understood formats:
 * <ul>
 * <li>application: {@code <ISO time> <LEVEL> <app> <version> <instance>: <message>} (level optional), access lines
 * with message {@code access <client> "<request>" <status> <size> <n>ms};</li>
 * <li>load balancer (HAProxy-like): {@code <ISO time> haproxy[<env>]: <client> "<request>" <pool>/<backend> <status>
 * <n>ms}.</li>
 * </ul>
 * Lines without a leading time stamp (stack traces) parse to null: they belong to the line before. Lines are cut
 * at {@value #MAX_LINE} characters before any pattern sees them.
 */
record LogLine(String host, String source, Instant time, Kind kind, String level, String message, Integer status,
               Long durationMs, String request) {
    static final int MAX_LINE = 4000;

    enum Kind { APP, ACCESS, LB }

    private static final Pattern STAMPED = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?)(Z|[+-]\\d{2}:\\d{2})? (.*)");
    private static final Pattern LEVELLED = Pattern.compile(
            "(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL) (.*)");
    private static final Pattern APP_PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,62} [0-9A-Za-z][0-9A-Za-z.+_-]{0,63} "
            + "[a-z0-9][a-z0-9-]{0,62}: (.*)");
    private static final Pattern ACCESS = Pattern.compile("access (\\S+) \"([^\"]{0,2000})\" (\\d{3}) (\\S+) (\\d{1,9})ms");
    private static final Pattern LB = Pattern.compile(
            "haproxy\\[[^\\]]{0,64}\\]: (\\S+) \"([^\"]{0,2000})\" (\\S+) (\\d{3}) (\\d{1,9})ms");

    boolean error() {
        return kind == Kind.APP && ("ERROR".equals(level) || "CRITICAL".equals(level) || "FATAL".equals(level));
    }

    boolean serverError() {
        return status != null && status >= 500;
    }

    /** Parses a stored line; null for continuation lines and anything without a time stamp. */
    static LogLine parse(String stored) {
        String[] p = stored.split("\t", 3);
        if (p.length < 3) {
            return null;
        }
        return parse(p[0], p[1], p[2]);
    }

    static LogLine parse(String host, String source, String raw) {
        String line = raw.length() > MAX_LINE ? raw.substring(0, MAX_LINE) : raw;
        Matcher m = STAMPED.matcher(line);
        if (!m.matches()) {
            return null;
        }
        Instant time;
        try {
            time = m.group(2) == null || "Z".equals(m.group(2))
                    ? LocalDateTime.parse(m.group(1)).toInstant(ZoneOffset.UTC)
                    : java.time.OffsetDateTime.parse(m.group(1) + m.group(2)).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
        String rest = m.group(3);
        Matcher lb = LB.matcher(rest);
        if (lb.matches()) {
            return new LogLine(host, source, time, Kind.LB, "INFO", rest, Integer.parseInt(lb.group(4)),
                    Long.parseLong(lb.group(5)), lb.group(2) + " -> " + lb.group(3));
        }
        String level = "INFO";
        Matcher lv = LEVELLED.matcher(rest);
        if (lv.matches()) {
            level = lv.group(1).equals("WARNING") ? "WARN" : lv.group(1);
            rest = lv.group(2);
        }
        Matcher ap = APP_PREFIX.matcher(rest);
        String message = ap.matches() ? ap.group(1) : rest;
        Matcher ac = ACCESS.matcher(message);
        if (ac.matches()) {
            return new LogLine(host, source, time, Kind.ACCESS, level, message, Integer.parseInt(ac.group(3)),
                    Long.parseLong(ac.group(5)), ac.group(2));
        }
        return new LogLine(host, source, time, Kind.APP, level, message, null, null, null);
    }
}
