package io.opsflow.fleet;

import java.util.Comparator;

/**
 * Newest first, in semantic-version order: dot-separated parts compared numerically when both are numbers (else as
 * text, numbers before text), a missing part counts as 0; a pre-release ({@code 2.0.0-rc.1}, {@code 2.0.0-broken})
 * comes before its release and after every lower version; build metadata ({@code +…}) only breaks ties. Versions
 * that are not semantic versions still get a stable order.
 */
public final class VersionOrder {
    /** Newest first. */
    public static final Comparator<String> NEWEST_FIRST = VersionOrder::compare;

    private VersionOrder() {
    }

    /** Negative when {@code a} is newer than {@code b} (so that sorting puts the newest first). */
    static int compare(String a, String b) {
        int c = ascending(a, b);
        return c != 0 ? -c : b.compareTo(a);
    }

    /** Ascending semantic-version order: negative when {@code a} is older. */
    static int ascending(String a, String b) {
        String[] pa = split(a);
        String[] pb = split(b);
        int c = parts(pa[0], pb[0], true);
        if (c != 0) {
            return c;
        }
        if (pa[1].isEmpty() != pb[1].isEmpty()) {
            return pa[1].isEmpty() ? 1 : -1; // a pre-release is older than its release
        }
        c = parts(pa[1], pb[1], false);
        return c != 0 ? c : pa[2].compareTo(pb[2]);
    }

    /** core, pre-release, build (empty when absent). */
    private static String[] split(String v) {
        String build = "";
        int plus = v.indexOf('+');
        if (plus >= 0) {
            build = v.substring(plus + 1);
            v = v.substring(0, plus);
        }
        int dash = v.indexOf('-');
        return dash < 0 ? new String[] {v, "", build} : new String[] {v.substring(0, dash), v.substring(dash + 1), build};
    }

    private static int parts(String a, String b, boolean missingIsZero) {
        String[] xa = a.isEmpty() ? new String[0] : a.split("\\.");
        String[] xb = b.isEmpty() ? new String[0] : b.split("\\.");
        for (int i = 0; i < Math.max(xa.length, xb.length); i++) {
            if (i >= xa.length || i >= xb.length) {
                if (missingIsZero) {
                    String rest = i >= xa.length ? xb[i] : xa[i];
                    int c = part("0", rest);
                    if (c != 0) {
                        return i >= xa.length ? c : -c;
                    }
                    continue;
                }
                return i >= xa.length ? -1 : 1; // semver: fewer pre-release fields is older
            }
            int c = part(xa[i], xb[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int part(String a, String b) {
        boolean na = a.chars().allMatch(Character::isDigit) && !a.isEmpty();
        boolean nb = b.chars().allMatch(Character::isDigit) && !b.isEmpty();
        if (na && nb) {
            String ta = a.replaceFirst("^0+(?=.)", "");
            String tb = b.replaceFirst("^0+(?=.)", "");
            return ta.length() != tb.length() ? Integer.compare(ta.length(), tb.length()) : ta.compareTo(tb);
        }
        if (na != nb) {
            return na ? -1 : 1;
        }
        return a.compareTo(b);
    }
}
