package io.opsflow.step.ssh;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * THE one POSIX shell-quoting function of opsflow. An SSH "exec" request carries a single string that the remote
 * user's login shell parses; every command opsflow sends is built from an argv list through {@link #join(List)},
 * never by concatenating strings.
 *
 * <p>Quoting: a word made only of characters that no POSIX shell treats specially ({@code A-Z a-z 0-9 _ . / : @ , + -}
 * and {@code =} when not first) is passed as is (a leading {@code -} means nothing to the shell: it is the remote
 * program's business, as with a local argv); every other word
 * is wrapped in single quotes, and each embedded single quote becomes {@code '"'"'} (close, a double-quoted quote,
 * reopen). Inside single quotes nothing is special (no {@code $}, backtick, backslash, glob, newline or history
 * processing in non-interactive shells), so the remote program receives exactly the original string. The empty string
 * becomes {@code ''}. NUL cannot be carried by any shell word and is rejected.
 *
 * <p>Requires a POSIX-compatible login shell on the remote side (sh, dash, bash, ksh, zsh); csh/tcsh are not
 * supported.
 */
public final class ShellQuote {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:@,+=-]+");

    private ShellQuote() {
    }

    /** Quotes one word so that a POSIX shell reads it back as exactly {@code word}. */
    public static String quote(String word) {
        Objects.requireNonNull(word, "cannot quote null");
        if (word.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a shell word cannot contain a NUL character");
        }
        if (word.isEmpty()) {
            return "''";
        }
        // '=' is only safe after the first character (zsh expands a leading '=cmd')
        if (SAFE.matcher(word).matches() && word.charAt(0) != '=') {
            return word;
        }
        return "'" + word.replace("'", "'\"'\"'") + "'";
    }

    /** Quotes every element and joins them with single spaces: the command string for an SSH exec request. */
    public static String join(List<String> argv) {
        Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (a == null) {
                throw new IllegalArgumentException("argv must not contain null: " + argv);
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(quote(a));
        }
        return sb.toString();
    }
}
