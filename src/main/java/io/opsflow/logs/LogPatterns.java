package io.opsflow.logs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The extra patterns a caller may ask analyze-logs to count: a safe syntax, never a regular expression (no regex
 * denial of service, nothing reaches a shell or a LogQL query). The input is one pattern per line (or separated by
 * {@code ;}), at most {@value #MAX_PATTERNS} patterns of at most {@value #MAX_LENGTH} printable characters each:
 * <ul>
 * <li>a literal substring, matched case-insensitively: {@code connection refused};</li>
 * <li>or a bounded glob: {@code *} any run of characters, {@code ?} any one character, at most {@value #MAX_STARS}
 * {@code *} per pattern; the whole line must match, so a glob usually starts and ends with {@code *}:
 * {@code *timeout after * ms*}.</li>
 * </ul>
 * Matching is linear in the line's length times the pattern's (the classic greedy wildcard algorithm with one
 * backtracking point), whatever the input.
 */
public final class LogPatterns {
    static final int MAX_PATTERNS = 20;
    static final int MAX_LENGTH = 100;
    static final int MAX_STARS = 8;

    private final List<String> patterns;

    private LogPatterns(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    public static LogPatterns none() {
        return new LogPatterns(List.of());
    }

    /** Parses the input; problems ("patterns: ...") go to {@code errors} and an empty set is returned. */
    public static LogPatterns parse(String input, List<String> errors) {
        if (input == null || input.isBlank()) {
            return none();
        }
        List<String> out = new ArrayList<>();
        for (String raw : input.split("[;\\n]")) {
            String p = raw.strip();
            if (p.isEmpty()) {
                continue;
            }
            if (p.length() > MAX_LENGTH) {
                errors.add("patterns: each pattern must be at most " + MAX_LENGTH + " characters");
                return none();
            }
            if (p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                errors.add("patterns: control characters are not allowed");
                return none();
            }
            if (p.chars().filter(c -> c == '*').count() > MAX_STARS) {
                errors.add("patterns: at most " + MAX_STARS + " '*' per pattern");
                return none();
            }
            if (p.chars().allMatch(c -> c == '*' || c == '?')) {
                errors.add("patterns: a pattern needs at least one literal character (got \"" + p + "\")");
                return none();
            }
            out.add(p);
        }
        if (out.size() > MAX_PATTERNS) {
            errors.add("patterns: at most " + MAX_PATTERNS + " patterns (got " + out.size() + ")");
            return none();
        }
        return new LogPatterns(out);
    }

    public List<String> patterns() {
        return patterns;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** The patterns {@code text} matches, in declaration order. */
    public List<String> matching(String text) {
        List<String> hit = new ArrayList<>();
        String t = text.toLowerCase(Locale.ROOT);
        for (String p : patterns) {
            if (matches(p, t)) {
                hit.add(p);
            }
        }
        return hit;
    }

    /** One pattern against lower-cased text: a literal is a substring, a glob must match the whole text. */
    static boolean matches(String pattern, String lowerText) {
        String p = pattern.toLowerCase(Locale.ROOT);
        if (p.indexOf('*') < 0 && p.indexOf('?') < 0) {
            return lowerText.contains(p);
        }
        return glob(p, lowerText);
    }

    /** Greedy wildcard match with a single backtracking point: O(text × pattern), no recursion. */
    static boolean glob(String p, String t) {
        int pi = 0;
        int ti = 0;
        int star = -1;
        int mark = 0;
        while (ti < t.length()) {
            if (pi < p.length() && (p.charAt(pi) == '?' || p.charAt(pi) == t.charAt(ti))) {
                pi++;
                ti++;
            } else if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                mark = ti;
            } else if (star >= 0) {
                pi = star + 1;
                ti = ++mark;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }
}
