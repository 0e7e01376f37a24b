package io.opsflow.platform.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * No API answer reveals where things live on the server. Answers name things by id and link ({@code href}); free
 * text that may carry a file path from deeper down (an exception message, a restore's failure reason, why a host is
 * unreachable) passes through {@link #redact(String)} on its way out, and the whole text goes to the server log.
 *
 * <p>What counts as a path: an absolute path ({@code /srv/backups/x}, also after a {@code host:}) and a
 * {@code file:} URI. Each is replaced by {@code …/} and its last name ({@code …/x}): the reader still sees which file
 * is meant, not where it is. URLs ({@code http://host/p}), names with slashes ({@code staging/webapp},
 * {@code release:staging/webapp}), fractions and base64 fingerprints ({@code SHA256:ab/cd}) are left alone.
 */
public final class ServerPaths {
    /** Characters that end a path inside free text. */
    private static final String PATH_CHARS = "[^\\s'\"`,;()<>\\[\\]{}|]";
    private static final Pattern PATH = Pattern.compile(
            "file:/+" + PATH_CHARS + "*"
                    // a '/' that starts a path: not inside a word, URL, relative path, fingerprint, "a / b", nor
                    // a path redacted already ("…/name")
                    + "|(?<![\\w.~/\\\\+…])(?<!SHA256:)(?<!MD5:)/(?!/)" + PATH_CHARS + "+");

    private ServerPaths() {
    }

    /** {@code text} with every file path replaced by {@code …/<last name>}; null stays null. */
    public static String redact(String text) {
        if (text == null || text.indexOf('/') < 0) {
            return text;
        }
        Matcher m = PATH.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(shortName(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Whether {@link #redact(String)} would change {@code text}. */
    public static boolean containsPath(String text) {
        return text != null && text.indexOf('/') >= 0 && PATH.matcher(text).find();
    }

    private static String shortName(String path) {
        String p = path;
        while (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        String last = p.substring(p.lastIndexOf('/') + 1);
        return last.isEmpty() ? "…" : "…/" + last;
    }
}
